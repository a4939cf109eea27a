// The READMEs' code is real code: every ```rust or ```js block whose first line names a file
// (`// path`, from the repository's root) stands in that file word for word, so it cannot drift
// from what compiles. The library's own README (crates/edge-relay/README.md) is held the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

for (const name of ['README.md', 'crates/edge-relay/README.md']) {
  test(`every file-named code block of ${name} stands in its file`, async () => {
    const readme = await fs.readFile(path.join(ROOT, name), 'utf8');
    const blocks = [...readme.matchAll(/```(?:rust|js)\n\/\/ (\S+)\n([\s\S]*?)```/g)];
    assert.ok(blocks.length >= 2, 'the README shows real code');
    assert.ok(blocks.some(([, file]) => file.endsWith('.mjs')), 'and a real test');
    for (const [, file, code] of blocks) {
      const source = await fs.readFile(path.join(ROOT, file), 'utf8');
      assert.ok(source.includes(code), `${file} does not contain:\n${code}`);
    }
  });
}
