#!/usr/bin/env node
// Generates the JSON Schemas of `rmq <command> --json` output from the TypeScript types, into
// schemas/<command-id>.json (e.g. schemas/topic-create.json) and schemas/error.json.
//
// The type of each command is found, not listed: the `Promise<T>` that the default-exported
// class's run() declares in src/commands/**/*.ts (`| undefined` dropped: that is the "aborted at
// the prompt" path, which --json never takes). T must be a named interface or type alias, so that
// a new command cannot slip by without a schema. The error shape is ErrorJson in
// src/base-command.ts. Schemas are written with sorted keys, so the output depends on the types
// alone.
//
// Beside them, schemas/metadata-document.json: the document `rmq export` writes and `rmq diff` and
// `rmq apply` read, from MetadataDocument (src/services/metadata/document.ts).
//
// `--check` writes nothing and exits 1 when schemas/ is not what the types produce (missing,
// stale or extra files): a change of shape must be deliberate: rerun this script and commit.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createFormatter, createParser, SchemaGenerator } from 'ts-json-schema-generator';

const root = fileURLToPath(new URL('..', import.meta.url));
const commandsDir = join(root, 'src', 'commands');
const schemasDir = join(root, 'schemas');
const baseCommandFile = join(root, 'src', 'base-command.ts');
const metadataDocumentFile = join(root, 'src', 'services', 'metadata', 'document.ts');
const check = process.argv.includes('--check');

function listCommandFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? listCommandFiles(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [join(dir, e.name)]
          : [],
    )
    .sort();
}

/** src/commands/topic/create.ts → ['topic', 'create']; src/commands/bench/index.ts → ['bench'] */
function commandWords(file) {
  return relative(commandsDir, file)
    .replace(/\.ts$/, '')
    .split(sep)
    .filter((p, i, all) => !(p === 'index' && i === all.length - 1));
}

const rel = (file) => relative(root, file).split(sep).join('/');

const tsconfigPath = join(root, 'tsconfig.json');
const parsedConfig = ts.getParsedCommandLineOfConfigFile(
  tsconfigPath,
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  },
);
const options = { ...parsedConfig.options, noEmit: true, incremental: false };
delete options.tsBuildInfoFile;

const commandFiles = listCommandFiles(commandsDir);
const program = ts.createProgram([...commandFiles, baseCommandFile, metadataDocumentFile], options);
const checker = program.getTypeChecker();

const failures = [];
const fail = (file, node, text) => {
  const where = node
    ? `${rel(file)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`
    : rel(file);
  failures.push(`${where}: ${text}`);
};

/** The interface or type alias a type reference names (through imports). */
function declarationOf(typeRef) {
  let symbol = checker.getSymbolAtLocation(typeRef.typeName);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol?.declarations?.find((d) => ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d));
}

function isExported(decl) {
  return (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Export) !== 0;
}

/** The declaration of the result type of the default-exported command class in `file`. */
function resultDeclaration(file) {
  const source = program.getSourceFile(file);
  const cls = source.statements.find(
    (s) =>
      ts.isClassDeclaration(s) &&
      s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
      s.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword),
  );
  if (!cls) return fail(file, undefined, 'no `export default class`');
  const run = cls.members.find((m) => ts.isMethodDeclaration(m) && m.name.getText(source) === 'run');
  if (!run) return fail(file, cls, 'the command class has no run()');
  const ret = run.type;
  if (
    !ret ||
    !ts.isTypeReferenceNode(ret) ||
    ret.typeName.getText(source) !== 'Promise' ||
    !ret.typeArguments
  )
    return fail(file, run, 'run() must declare its return type as Promise<Result>');
  let result = ret.typeArguments[0];
  if (ts.isUnionTypeNode(result)) {
    const members = result.types.filter(
      (t) =>
        t.kind !== ts.SyntaxKind.UndefinedKeyword &&
        t.kind !== ts.SyntaxKind.VoidKeyword &&
        !(ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword),
    );
    if (members.length === 1) result = members[0];
  }
  const decl = ts.isTypeReferenceNode(result) ? declarationOf(result) : undefined;
  if (!decl || !isExported(decl)) {
    return fail(
      file,
      result,
      `run() returns \`${result.getText(source)}\`: make it an exported, named interface or type alias (export type FooResult = …) so that its schema has a name`,
    );
  }
  return decl;
}

function baseDeclaration(name, file = baseCommandFile) {
  const source = program.getSourceFile(file);
  const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!decl) fail(file, undefined, `no interface ${name}`);
  return decl;
}

const generatorConfig = {
  expose: 'export',
  topRef: true,
  jsDoc: 'extended',
  sortProps: true,
  strictTuples: false,
  skipTypeCheck: true,
  encodeRefs: true,
  additionalProperties: false,
  functions: 'fail',
};
const generator = new SchemaGenerator(
  program,
  createParser(program, generatorConfig),
  createFormatter(generatorConfig),
  generatorConfig,
);

/** Recursively sorted object keys (arrays keep their order: it is the type's). */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

/**
 * BaseCommand adds DocumentWarnings' fields to every document: into the result's own schema. A
 * result that has such a field already must have it with the same schema (BaseCommand appends).
 */
function withDocumentFields(generated, typeName, file) {
  const root = generated.definitions?.[typeName];
  if (!root || root.type !== 'object' || !root.properties) {
    fail(file, undefined, `${typeName} is not an object type: BaseCommand cannot add its document fields`);
    return generated;
  }
  const extra = documentFields.definitions.DocumentWarnings;
  for (const [name, schema] of Object.entries(extra.properties)) {
    const own = root.properties[name];
    if (own && JSON.stringify(sortKeys(own)) !== JSON.stringify(sortKeys(schema))) {
      fail(file, undefined, `${typeName}.${name} differs from DocumentWarnings.${name}`);
    }
    root.properties[name] = schema;
  }
  root.required = [...new Set([...(root.required ?? []), ...extra.required])];
  return generated;
}

function render(decl, title, comment, file) {
  const typeName = decl.name.text;
  let generated = generator.createSchemaFromNodes([decl]);
  if (file) generated = withDocumentFields(generated, typeName, file);
  const schema = sortKeys({ ...generated, title, $comment: comment });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

const documentFieldsDecl = baseDeclaration('DocumentWarnings');
const documentFields = documentFieldsDecl ? generator.createSchemaFromNodes([documentFieldsDecl]) : undefined;

const wanted = new Map(); // file name → text
for (const file of commandFiles) {
  const words = commandWords(file);
  const id = words.join('-');
  const decl = resultDeclaration(file);
  if (!decl) continue;
  if (wanted.has(`${id}.json`) || id === 'error') {
    fail(file, undefined, `two schemas would be named schemas/${id}.json`);
    continue;
  }
  const typeName = decl.name.text;
  const declFile = rel(decl.getSourceFile().fileName);
  try {
    wanted.set(
      `${id}.json`,
      render(
        decl,
        `rmq ${words.join(' ')} --json`,
        `Generated by scripts/json-schemas.mjs from ${typeName} (${declFile}), the result of ${rel(file)}, with DocumentWarnings (src/base-command.ts); do not edit.`,
        file,
      ),
    );
  } catch (err) {
    fail(file, decl, `ts-json-schema-generator cannot handle ${typeName}: ${err.message}`);
  }
}
const errorDecl = baseDeclaration('ErrorJson');
if (errorDecl && documentFields) {
  wanted.set(
    'error.json',
    render(
      errorDecl,
      'rmq <command> --json, on failure',
      'Generated by scripts/json-schemas.mjs from ErrorJson (src/base-command.ts); do not edit.',
    ),
  );
}

const metadataDecl = baseDeclaration('MetadataDocument', metadataDocumentFile);
if (metadataDecl) {
  wanted.set(
    'metadata-document.json',
    render(
      metadataDecl,
      'rmq metadata document (rmq export, rmq diff -f, rmq apply -f)',
      'Generated by scripts/json-schemas.mjs from MetadataDocument (src/services/metadata/document.ts); do not edit. Topic and group names (the keys of topics and groups) are also checked as RocketMQ names: a-z A-Z 0-9 _ - % |, at most 127 (topics) or 120 (groups) characters.',
    ),
  );
}

if (failures.length > 0) {
  process.stderr.write(`json-schemas: cannot generate the schemas:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}

const present = existsSync(schemasDir) ? readdirSync(schemasDir).filter((f) => f.endsWith('.json')) : [];
const stale = [];
for (const [name, text] of wanted) {
  const path = join(schemasDir, name);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  stale.push(current === undefined ? `${name} (missing)` : `${name} (differs)`);
  if (!check) {
    mkdirSync(schemasDir, { recursive: true });
    writeFileSync(path, text);
  }
}
for (const name of present.filter((n) => !wanted.has(n))) {
  stale.push(`${name} (no command has this shape)`);
  if (!check) rmSync(join(schemasDir, name));
}

if (check) {
  if (stale.length > 0) {
    process.stderr.write(
      `json-schemas: schemas/ does not match the result types:\n  ${stale.join('\n  ')}\n` +
        'If the change of --json shape is intended: node scripts/json-schemas.mjs, and commit schemas/.\n',
    );
    process.exit(1);
  }
  process.stdout.write(`json-schemas: ${wanted.size} schemas in schemas/ are current\n`);
} else {
  process.stdout.write(
    `json-schemas: ${wanted.size} schemas, ${stale.length} written or removed${stale.length ? `: ${stale.join(', ')}` : ''}\n`,
  );
}
