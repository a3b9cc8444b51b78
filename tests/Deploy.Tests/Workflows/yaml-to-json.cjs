// Prints a YAML file as JSON, for the workflow tests (YAML 1.2, as GitHub reads workflows: `on` stays a
// key, duplicate keys are errors). Usage: node yaml-to-json.cjs <tests/tools folder> <file.yml>
'use strict';
const { createRequire } = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

const [toolsDir, file] = process.argv.slice(2);
if (!toolsDir || !file) {
  console.error('usage: node yaml-to-json.cjs <tests/tools folder> <file.yml>');
  process.exit(2);
}

const YAML = createRequire(path.join(path.resolve(toolsDir), 'package.json'))('yaml');
const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: true });
if (doc.errors.length > 0) {
  for (const error of doc.errors) {
    console.error(`${file}: ${error.message}`);
  }
  process.exit(1);
}

process.stdout.write(JSON.stringify(doc.toJS()));
