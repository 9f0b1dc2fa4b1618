#!/usr/bin/env bash
# Vendors GraphiQL and React into src/http/graphiql/vendor/ from the npm registry.
#
# Fetches the pinned versions below with `npm pack`, takes the production (minified) UMD
# builds and each package's LICENSE out of the tarballs, and writes them with VERSIONS
# (package, version, file, sha256) and LICENSES.txt. Run it again with the same pins and it
# fails if a fetched file's sha256 differs from the one VERSIONS recorded. To update, change
# a pin here and run it; the server takes its asset paths from VERSIONS, and `cargo test`
# checks the files against it.
#
# graphiql.min.js and graphiql.min.css are bundles of GraphiQL's dependencies and two fonts,
# so LICENSES.txt also holds the licence of every package in graphiql's production dependency
# tree, as npm installs it from scripts/vendor-graphiql.package-lock.json (resolved and written
# on the first run after a pin below changes, then reused, so every run lists the same
# versions), and the fonts' licences. It fails if graphiql.min.js's source map names a package
# that list lacks, or graphiql.min.css embeds a font it has no licence for.
#
#   scripts/vendor-graphiql.sh           fetch, verify and write
#   scripts/vendor-graphiql.sh --check   only check the vendored files against VERSIONS
set -euo pipefail

# GraphiQL 4 and React 19 ship no UMD builds: stay on 3.x and 18.x.
GRAPHIQL=3.9.0
REACT=18.3.1

# Packages graphiql.min.js holds at another version than npm now resolves in graphiql's tree,
# or that the tree does not reach at all: GraphiQL built the bundle from its own monorepo
# lockfile. Installed beside graphiql, so that the licence list names what the bundle holds.
#   graphql: the bundle's graphql/version.mjs says 16.9.0 (graphiql's peer dependency).
#   codemirror: the bundle's CodeMirror.version is 5.65.3.
#   graphql-ws: @graphiql/toolkit's optional peer dependency, which npm leaves out; the
#     bundle's graphql-ws/lib/*.mjs are 5.14.0's.
#   @radix-ui/react-use-escape-keydown: the bundle's copy is 1.0.3's; the Radix versions npm
#     now resolves no longer use it, nor @babel/runtime, which it brings in.
BUNDLED=(graphql@16.9.0 codemirror@5.65.3 graphql-ws@5.14.0 @radix-ui/react-use-escape-keydown@1.0.3)

# The fonts' licence texts: Fira Code's LICENSE from its author's npm package, and the Apache
# License 2.0 (Roboto's) from SPDX's licence list.
FIRACODE=6.2.0
SPDX_LICENSE_LIST=6.12.0

# package version path-in-tarball
FILES=(
  "graphiql $GRAPHIQL graphiql.min.js"
  "graphiql $GRAPHIQL graphiql.min.css"
  "react $REACT umd/react.production.min.js"
  "react-dom $REACT umd/react-dom.production.min.js"
)

cd "$(dirname "$0")/.."
VENDOR=src/http/graphiql/vendor
LOCK=scripts/vendor-graphiql.package-lock.json

check() {
  # VERSIONS lines: package version file sha256; `#` starts a comment.
  grep -v '^#' "$VENDOR/VERSIONS" | awk '{ print $4 "  " $3 }' | (cd "$VENDOR" && sha256sum --check --strict)
}

if [ "${1:-}" = "--check" ]; then
  check
  exit
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

packages=()
for entry in "${FILES[@]}"; do
  read -r package version _ <<<"$entry"
  spec="$package@$version"
  if [[ " ${packages[*]} " != *" $spec "* ]]; then
    packages+=("$spec")
  fi
done

for spec in "${packages[@]}"; do
  package="${spec%@*}"
  # npm checks the tarball against the registry's integrity hash.
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$work/$package"
  tar -xzf "$work/$package-${spec##*@}.tgz" -C "$work/$package"
done

# The sha256 VERSIONS recorded for a package, version and file; empty when none.
recorded() {
  [ -f "$VENDOR/VERSIONS" ] || return 0
  awk -v p="$1" -v v="$2" -v f="$3" '$1 == p && $2 == v && $3 == f { print $4 }' "$VENDOR/VERSIONS"
}

mkdir -p "$VENDOR"
versions="$work/VERSIONS"
{
  echo "# Written by scripts/vendor-graphiql.sh: npm package, version, file, sha256 of the file."
  echo "# Each file is the package's own, unchanged; its licence is in LICENSES.txt."
} >"$versions"
for entry in "${FILES[@]}"; do
  read -r package version path <<<"$entry"
  file="$(basename "$path")"
  sum="$(sha256sum "$work/$package/package/$path" | cut -d' ' -f1)"
  was="$(recorded "$package" "$version" "$file")"
  if [ -n "$was" ] && [ "$was" != "$sum" ]; then
    echo "error: $package@$version $path has sha256 $sum, VERSIONS says $was" >&2
    exit 1
  fi
  echo "$package $version $file $sum" >>"$versions"
done

# graphiql's production dependency tree, installed for the licences of what its bundles hold.
deps="$work/deps"
mkdir -p "$deps"
node - "$deps/package.json" "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" \
  "${BUNDLED[@]}" "firacode@$FIRACODE" "spdx-license-list@$SPDX_LICENSE_LIST" <<'EOF'
const [out, ...specs] = process.argv.slice(2);
const dependencies = {};
for (const spec of specs) {
  const at = spec.lastIndexOf("@");
  dependencies[spec.slice(0, at)] = spec.slice(at + 1);
}
const manifest = { name: "vendor-graphiql-licences", private: true, dependencies };
require("fs").writeFileSync(out, JSON.stringify(manifest, null, 2) + "\n");
EOF
# Whether the lockfile was resolved for these pins.
locked() {
  [ -f "$LOCK" ] && node - "$LOCK" "$deps/package.json" <<'EOF'
const fs = require("fs");
const read = (file) => JSON.parse(fs.readFileSync(file, "utf8"));
const sorted = (deps) => JSON.stringify(Object.entries(deps || {}).sort());
const [lock, manifest] = process.argv.slice(2).map(read);
process.exit(sorted(lock.packages[""].dependencies) === sorted(manifest.dependencies) ? 0 : 1);
EOF
}
npm_flags=(--ignore-scripts --no-audit --no-fund --loglevel=error)
if locked; then
  cp "$LOCK" "$deps/package-lock.json"
  # npm checks each tarball against the lockfile's integrity hash.
  (cd "$deps" && npm ci "${npm_flags[@]}" >/dev/null)
else
  echo "resolving graphiql@$GRAPHIQL's dependencies anew into $LOCK" >&2
  (cd "$deps" && npm install "${npm_flags[@]}" >/dev/null)
fi

# The licences of graphiql's dependencies and of the fonts, after checking that they cover
# what graphiql.min.js's source map and graphiql.min.css's @font-face rules name.
GRAPHIQL="$GRAPHIQL" BUNDLED="${BUNDLED[*]}" FIRACODE="$FIRACODE" \
  SPDX_LICENSE_LIST="$SPDX_LICENSE_LIST" LOCK="$LOCK" \
  node - "$deps" "$work/graphiql/package" >"$work/bundled.txt" <<'EOF'
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const [depsDir, graphiqlDir] = process.argv.slice(2).map((dir) => fs.realpathSync(dir));
const { GRAPHIQL, FIRACODE, SPDX_LICENSE_LIST, LOCK } = process.env;
const BUNDLED = process.env.BUNDLED.split(" ");
const fail = (message) => {
  console.error(`error: ${message}`);
  process.exit(1);
};
const rule = (char) => char.repeat(80);
const text = (file) => fs.readFileSync(file, "utf8").replace(/\r\n?/g, "\n").replace(/\s*$/, "\n");
const nameOf = (spec) => spec.slice(0, spec.lastIndexOf("@"));

// React and ReactDOM are vendored files of their own, with their licences above.
const SKIP = new Set(["react", "react-dom"]);

// Node's resolution of a package name from the package in dir.
function resolve(dir, name) {
  for (let at = dir; ; at = path.dirname(at)) {
    const candidate = path.join(at, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return fs.realpathSync(candidate);
    if (at === depsDir || at === path.dirname(at)) return null;
  }
}
const manifest = (dir) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));

// graphiql's tree (dependencies, optional and peer dependencies) and the pinned packages'.
const packages = new Map();
const queue = ["graphiql", ...BUNDLED.map(nameOf)].map((name) => {
  const dir = resolve(depsDir, name);
  if (!dir) fail(`${name} is not installed`);
  return dir;
});
while (queue.length > 0) {
  const dir = queue.shift();
  if (packages.has(dir)) continue;
  const pkg = manifest(dir);
  packages.set(dir, pkg);
  const optional = new Set(Object.keys(pkg.optionalDependencies || {}));
  for (const [name, meta] of Object.entries(pkg.peerDependenciesMeta || {})) {
    if (meta.optional) optional.add(name);
  }
  const names = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
  for (const name of Object.keys(names)) {
    if (SKIP.has(name)) continue;
    const found = resolve(dir, name);
    if (found) queue.push(found);
    else if (!optional.has(name)) fail(`${pkg.name}@${pkg.version} needs ${name}, not installed`);
  }
}

// The packages graphiql.min.js holds, by its source map: node_modules paths, graphiql's own
// sources (../src/) and its monorepo siblings (../../<directory>/).
const MONOREPO = {
  "codemirror-graphql": "codemirror-graphql",
  "graphiql-react": "@graphiql/react",
  "graphiql-toolkit": "@graphiql/toolkit",
  "graphql-language-service": "graphql-language-service",
};
const sourceMap = JSON.parse(fs.readFileSync(path.join(graphiqlDir, "graphiql.min.js.map"), "utf8"));
const inBundle = new Set();
for (const source of sourceMap.sources) {
  const at = source.lastIndexOf("node_modules/");
  if (at >= 0) {
    const parts = source.slice(at + "node_modules/".length).split("/");
    inBundle.add(parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]);
  } else if (!source.startsWith("../src/")) {
    const sibling = /^\.\.\/\.\.\/([^/]+)\//.exec(source);
    if (!sibling || !MONOREPO[sibling[1]]) fail(`no npm package known for ${source} in graphiql.min.js.map`);
    inBundle.add(MONOREPO[sibling[1]]);
  }
}
const listed = new Set([...packages.values()].map((pkg) => pkg.name));
for (const name of [...inBundle].sort()) {
  if (!listed.has(name) && !SKIP.has(name)) {
    fail(`graphiql.min.js holds ${name} (its source map says so), graphiql's tree lacks it: add it to BUNDLED`);
  }
}

// The fonts graphiql.min.css embeds, each checked against @graphiql/react's font/*.css, and the
// copyright, version and licence URL their name tables give.
const graphiqlReact = resolve(resolve(depsDir, "graphiql"), "@graphiql/react");
const graphiqlReactVersion = manifest(graphiqlReact).version;
function nameTable(font) {
  const signature = font.toString("latin1", 0, 4);
  const tables = font.readUInt16BE(12);
  if (signature === "wOFF") {
    for (let i = 0; i < tables; i++) {
      const entry = 44 + 20 * i;
      if (font.toString("latin1", entry, entry + 4) !== "name") continue;
      const offset = font.readUInt32BE(entry + 4);
      const compressed = font.readUInt32BE(entry + 8);
      const data = font.subarray(offset, offset + compressed);
      return compressed < font.readUInt32BE(entry + 12) ? zlib.inflateSync(data) : data;
    }
  } else if (signature === "wOF2" && font.toString("latin1", 4, 8) !== "ttcf") {
    let at = 48;
    const base128 = () => {
      let value = 0;
      for (let i = 0; i < 5; i++) {
        const byte = font[at++];
        value = value * 128 + (byte & 0x7f);
        if (!(byte & 0x80)) return value;
      }
      return fail("a WOFF2 font with a bad table directory");
    };
    let offset = 0;
    let name = null;
    for (let i = 0; i < tables; i++) {
      const flags = font[at++];
      let tag = flags & 0x3f; // 5 is name, 10 glyf, 11 loca
      if (tag === 0x3f) {
        tag = { name: 5, glyf: 10, loca: 11 }[font.toString("latin1", at, at + 4)] ?? -1;
        at += 4;
      }
      const version = flags >> 6;
      let length = base128();
      if (tag === 10 || tag === 11 ? version === 0 : version !== 0) length = base128();
      if (tag === 5) name = { offset, length };
      offset += length;
    }
    const data = zlib.brotliDecompressSync(font.subarray(at, at + font.readUInt32BE(20)));
    if (name) return data.subarray(name.offset, name.offset + name.length);
  }
  return fail("graphiql.min.css embeds a font whose name table this script cannot read");
}
function fontNames(font) {
  const table = nameTable(font);
  const strings = table.readUInt16BE(4);
  const found = {};
  for (let i = 0; i < table.readUInt16BE(2); i++) {
    const record = 6 + 12 * i;
    const [platform, , language, id, length, offset] = [0, 2, 4, 6, 8, 10].map((at) =>
      table.readUInt16BE(record + at),
    );
    const bytes = table.subarray(strings + offset, strings + offset + length);
    if (platform === 3 && language === 0x409) found[id] = Buffer.from(bytes).swap16().toString("utf16le");
    else if (platform === 1 && language === 0 && !(id in found)) found[id] = bytes.toString("latin1");
  }
  return { copyright: found[0], version: found[5], licence: found[14] };
}
const spdx = resolve(depsDir, "spdx-license-list");
const firacode = resolve(depsDir, "firacode");
const FONTS = {
  "Fira Code": {
    licence: "OFL-1.1",
    url: /^https?:\/\/scripts\.sil\.org\/OFL/,
    from: `firacode@${FIRACODE} (Fira Code's author's npm package) ships it in LICENSE`,
    text: () => text(path.join(firacode, "LICENSE")),
  },
  Roboto: {
    licence: "Apache-2.0",
    url: /^https?:\/\/www\.apache\.org\/licenses\/LICENSE-2\.0/,
    from: `spdx-license-list@${SPDX_LICENSE_LIST} ships it in licenses/Apache-2.0.json`,
    text: () => JSON.parse(fs.readFileSync(path.join(spdx, "licenses/Apache-2.0.json"), "utf8")).licenseText.replace(/\s*$/, "\n"),
  },
};
const fontDir = path.join(graphiqlReact, "font");
const origin = new Map();
for (const file of fs.readdirSync(fontDir).filter((file) => file.endsWith(".css")).sort()) {
  for (const [, data] of fs.readFileSync(path.join(fontDir, file), "utf8").matchAll(/base64,([A-Za-z0-9+/=]+)/g)) {
    origin.set(data, `font/${file}`);
  }
}
const css = fs.readFileSync(path.join(graphiqlDir, "graphiql.min.css"), "utf8");
const fonts = new Map();
for (const [, face] of css.matchAll(/@font-face\s*\{([^}]*)\}/g)) {
  const family = /font-family:\s*(["']?)([^;"']+)\1/.exec(face)?.[2].trim();
  const data = /url\(\s*["']?data:font\/(woff2?);base64,([A-Za-z0-9+/=]+)/.exec(face);
  if (!family || !data) fail(`graphiql.min.css has an @font-face without a data: URL font: ${face.slice(0, 100)}`);
  if (!FONTS[family]) fail(`graphiql.min.css embeds the font ${family}: add its licence to FONTS`);
  if (!origin.has(data[2])) fail(`graphiql.min.css embeds a ${family} font that @graphiql/react's font/*.css lacks`);
  const names = fontNames(Buffer.from(data[2], "base64"));
  if (!FONTS[family].url.test(names.licence || "")) {
    fail(`graphiql.min.css's ${family} font gives its licence as ${names.licence}, not ${FONTS[family].licence}`);
  }
  const font = fonts.get(family) || { faces: 0, formats: new Set(), files: new Set(), names: new Set() };
  font.faces++;
  font.formats.add(data[1]);
  font.files.add(origin.get(data[2]));
  font.names.add(`  ${names.copyright}\n  ${names.version}\n  Licence URL: ${names.licence}\n`);
  fonts.set(family, font);
}

// Each package's licence files, as its npm tarball ships them.
const LICENCE_FILE = /^(licen[cs]e|copying|copyrightnotice|notice|thirdpartynotices)([-.].*)?$/i;
const licence = (pkg) => {
  if (typeof pkg.license === "string") return pkg.license;
  if (pkg.license && pkg.license.type) return pkg.license.type;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((entry) => entry.type).join(" OR ");
  return "no licence given";
};
const versionKey = (version) =>
  version.split(/[.+-]/).map((part) => (/^\d+$/.test(part) ? part.padStart(12, "0") : part)).join(".");
// One entry a name and version: npm may install a version twice, in different places.
const unique = new Map();
for (const [dir, pkg] of [...packages.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const spec = `${pkg.name}@${pkg.version}`;
  if (pkg.name !== "graphiql" && !unique.has(spec)) unique.set(spec, { dir, spec, name: pkg.name, pkg });
}
const entries = [...unique.values()].sort((a, b) =>
  a.name !== b.name ? (a.name < b.name ? -1 : 1) : versionKey(a.pkg.version) < versionKey(b.pkg.version) ? -1 : 1,
);
const where = (name) => (inBundle.has(name) ? "in graphiql.min.js" : "not in graphiql.min.js's source map");

const out = [];
const print = (line = "") => out.push(line);
print();
print(rule("#"));
print("Bundled in graphiql.min.js and graphiql.min.css");
print(rule("#"));
print();
print(`Listed here: every npm package in graphiql@${GRAPHIQL}'s production dependency tree`);
print("(dependencies, optional and peer dependencies, but not react and react-dom, whose");
print("licences are above) as npm installs it from the lockfile");
print(`${LOCK}, and the fonts graphiql.min.css embeds.`);
print("scripts/vendor-graphiql.sh writes this list.");
print();
print(`"in graphiql.min.js" marks the packages graphiql.min.js's source map names; the others,`);
print("such as type declarations and code the bundle leaves out, are listed all the same.");
if (inBundle.has("react")) print("The source map also names react, whose licence is above.");
print("GraphiQL built the bundle from its own lockfile, so the version of a package the bundle");
print("holds can be older than the one named here. The script pins these packages to the");
print("versions the bundle holds, installing them beside graphiql:");
print();
for (const spec of BUNDLED) print(`  ${spec}`);
print();
print(`Packages (${entries.length}), sorted by name, and fonts (${fonts.size}):`);
print();
const width = Math.max(...entries.map((entry) => entry.spec.length)) + 2;
for (const entry of entries) {
  const bundled = inBundle.has(entry.name) ? "in graphiql.min.js" : "";
  print(`  ${entry.spec.padEnd(width)}${licence(entry.pkg).padEnd(14)}${bundled}`.trimEnd());
}
for (const family of [...fonts.keys()].sort()) {
  print(`  ${`${family} (font)`.padEnd(width)}${FONTS[family].licence.padEnd(14)}in graphiql.min.css`);
}
for (const entry of entries) {
  print();
  print(rule("="));
  print(`${entry.spec} (${licence(entry.pkg)}; ${where(entry.name)})`);
  print(rule("="));
  print();
  const files = fs
    .readdirSync(entry.dir)
    .filter((file) => LICENCE_FILE.test(file) && fs.statSync(path.join(entry.dir, file)).isFile())
    .sort();
  if (files.length === 0) {
    print("Its npm tarball ships no licence file, so no licence text is given here; its");
    print(`package.json gives its licence as ${licence(entry.pkg)}.`);
    const author = typeof entry.pkg.author === "object" ? entry.pkg.author.name : entry.pkg.author;
    const repository = typeof entry.pkg.repository === "object" ? entry.pkg.repository.url : entry.pkg.repository;
    if (author) print(`Author (package.json): ${author}`);
    if (repository) print(`Repository (package.json): ${repository}`);
  }
  files.forEach((file, i) => {
    if (files.length > 1) {
      if (i > 0) print();
      print(`-- ${file} --`);
      print();
    }
    out.push(text(path.join(entry.dir, file)).replace(/\n$/, ""));
  });
}
for (const family of [...fonts.keys()].sort()) {
  const font = fonts.get(family);
  const spec = FONTS[family];
  print();
  print(rule("="));
  print(`${family} (font, ${spec.licence}; in graphiql.min.css)`);
  print(rule("="));
  print();
  const formats = [...font.formats].sort().join(", ");
  print(`graphiql.min.css embeds ${family} as ${font.faces} data: URLs (${formats}), byte for byte those`);
  print(`of @graphiql/react@${graphiqlReactVersion}'s ${[...font.files].sort().join(", ")}. Their name tables say:`);
  print();
  out.push([...font.names].sort().join("\n").replace(/\n$/, ""));
  print();
  print(`The licence, as ${spec.from}:`);
  print();
  out.push(spec.text().replace(/\n$/, ""));
}
process.stdout.write(out.join("\n") + "\n");
EOF

licenses="$work/LICENSES.txt"
{
  echo "The GraphiQL page's assets (/graphiql/...) are these npm packages' files, unchanged."
  echo "Below, each package's licence as its npm tarball ships it."
  echo
  echo "graphiql.min.js and graphiql.min.css are bundles: they also hold GraphiQL's own"
  echo "dependencies (among them graphql, @graphiql/react, @graphiql/toolkit, CodeMirror 5,"
  echo "markdown-it) and the Roboto and Fira Code fonts, under their own licences, which follow"
  echo "these three packages' under \"Bundled in graphiql.min.js and graphiql.min.css\"."
} >"$licenses"
for spec in "${packages[@]}"; do
  package="${spec%@*}"
  files="$(awk -v p="$package" '$1 == p { printf "%s ", $3 }' "$versions")"
  {
    echo
    echo "================================================================================"
    echo "$spec (${files% })"
    echo "================================================================================"
    echo
    cat "$work/$package/package/LICENSE"
  } >>"$licenses"
done
cat "$work/bundled.txt" >>"$licenses"

for entry in "${FILES[@]}"; do
  read -r package _ path <<<"$entry"
  cp "$work/$package/package/$path" "$VENDOR/$(basename "$path")"
done
cp "$versions" "$licenses" "$VENDOR/"
cp "$deps/package-lock.json" "$LOCK"
check
du -ch "$VENDOR"/*.js "$VENDOR"/*.css | tail -n 1
