/** The README's "Config file" section names every key a config file accepts, so the table cannot fall behind. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../../src/config/settings.js';

describe('README, Config file', () => {
  it('lists every config-file key', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Config file'), readme.indexOf('## AWS KMS'));
    const inFile = Object.entries(SETTINGS).filter(([, s]) => s.only === undefined);
    for (const [key] of inFile) expect(section, key).toContain(`\`${key}\``);
  });
});
