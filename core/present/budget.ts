/**
 * Size budgets for answers read by a model: a token is counted as 4 bytes of the answer's JSON
 * (a fair average for JSON manifests). An answer past its budget is never cut mid-document: the
 * surface asks again for fewer items (`limitWithin`) and hands out the continue token.
 */
export const DEFAULT_BUDGET_TOKENS = 16_000;

/** Tokens of a text, counted as UTF-8 bytes / 4 (rounded up). */
export function tokensOf(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/**
 * How many items to ask for so that an answer of `items` items measuring `tokens` fits
 * `budget`: scaled by the measured size per item with a margin, at least 1, fewer than `items`.
 */
export function limitWithin(items: number, tokens: number, budget: number): number {
  if (items <= 1) return 1;
  const perItem = tokens / items;
  const fit = Math.floor((budget * 0.9) / perItem);
  return Math.max(1, Math.min(items - 1, fit));
}
