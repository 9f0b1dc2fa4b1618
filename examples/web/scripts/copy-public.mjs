// Copies the static pages and styles (public/) next to the compiled modules (dist/).
import { cpSync } from 'node:fs';

cpSync('public', 'dist', { recursive: true });
