import { describe, expect, it } from 'vitest';
import { FLAGS, USAGE as QUERY_USAGE } from './client/args.ts';
import { main } from './main.ts';

describe('kubetime help', () => {
  it("shows each query command exactly as the command's own --help does (one source: --to is optional)", async () => {
    let out = '';
    expect(await main(['help'], { out: (s) => { out += s; }, err: () => undefined })).toBe(0);
    for (const usage of Object.values(QUERY_USAGE)) expect(out).toContain(`  ${usage.replace(` ${FLAGS}`, '')}\n`);
    expect(out).toContain('kubetime diff KIND[/NAME] [-n NS | -A] [-l SELECTOR] --from T [--to T] [--raw]\n');
  });
});
