// Fails when a TypeScript source under src/ (generated code included) uses the `any` type.
// tsconfig's `strict` rules out implicit `any`; this rules out the written kind, without
// pulling in a linter. Comments and string literals are blanked first, so prose may say "any".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ANY = /(?<![\w$.'"`])any(?![\w$])/g;

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(m|c)?tsx?$/.test(entry.name)) yield path;
  }
}

// Replaces comments and string/template literals with spaces, keeping line breaks, so the
// positions of what is left still give the right line numbers.
function codeOnly(text) {
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  return text.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\[\s\S]|[^`\\])*`/g,
    blank,
  );
}

const found = [];
for (const path of sources('src')) {
  const code = codeOnly(readFileSync(path, 'utf8'));
  for (const match of code.matchAll(ANY)) {
    const line = code.slice(0, match.index).split('\n').length;
    found.push(`${path}:${line}: \`any\``);
  }
}
if (found.length > 0) {
  console.error(`${found.join('\n')}\n${found.length} use(s) of \`any\`; use a real type or \`unknown\`.`);
  process.exit(1);
}
console.log('no `any` in src/');
