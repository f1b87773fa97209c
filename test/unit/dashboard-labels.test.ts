import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayLabel, MAX_LABEL_CHARS } from '../../src/ingest/dashboard/labels.js';
import { renderPage } from '../../src/ingest/dashboard/page.js';
import { computePanels } from '../../src/ingest/dashboard/panels.js';
import type { Sample } from '../../src/protocol/schema.js';

const NOW = 1_700_000_000_000;
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

// Bidi embeddings/overrides, isolates, marks, zero-width characters, BOM, controls, separators.
const INVISIBLE = [
  ...Array.from({ length: 5 }, (_, i) => 0x202a + i),
  ...Array.from({ length: 4 }, (_, i) => 0x2066 + i),
  0x200b,
  0x200c,
  0x200d,
  0x200e,
  0x200f,
  0x2060,
  0xfeff,
  0x00ad,
  0x061c,
  0x0000,
  0x0007,
  0x001b,
  0x007f,
  0x0085,
  0x2028,
  0x2029,
].map((c) => String.fromCodePoint(c));

const hasInvisible = (text: string) => INVISIBLE.some((c) => text.includes(c));

describe('displayLabel', () => {
  it('shows invisible and reordering characters as visible escapes', () => {
    expect(displayLabel('success\u200b')).toBe('success\\u{200B}');
    expect(displayLabel('\u202esseccus')).toBe('\\u{202E}sseccus');
    expect(displayLabel('a\u2066b\u2069')).toBe('a\\u{2066}b\\u{2069}');
    expect(displayLabel('tab\there')).toBe('tab\\u{0009}here');
    expect(displayLabel('\ud800x')).toBe('\\u{D800}x');
    for (const c of INVISIBLE) expect(hasInvisible(displayLabel(`x${c}y`)), c).toBe(false);
  });

  it('leaves ordinary labels alone, accents and other scripts included', () => {
    for (const label of ['success', 'failure', 'ice_p2p', 'échec', '失败', 'ok 🙂', ''])
      expect(displayLabel(label)).toBe(label);
  });

  it('cuts long labels, and a cut label stays cut the same way', () => {
    const long = 'x'.repeat(100_000);
    const shown = displayLabel(long);
    expect(Array.from(shown)).toHaveLength(MAX_LABEL_CHARS);
    expect(shown.endsWith('…')).toBe(true);
    expect(displayLabel('🙂'.repeat(MAX_LABEL_CHARS + 1))).toHaveLength(
      (MAX_LABEL_CHARS - 1) * 2 + 1,
    );
  });

  it('is idempotent and never lets an invisible character through (property)', () => {
    // Any code point, lone surrogates included, with the invisible ones often.
    const chars = fc.oneof(
      fc.constantFrom(...INVISIBLE),
      fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    );
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 80 }), (parts) => {
        const shown = displayLabel(parts.join(''));
        expect(hasInvisible(shown)).toBe(false);
        expect(Array.from(shown).length).toBeLessThanOrEqual(MAX_LABEL_CHARS);
        expect(displayLabel(shown)).toBe(shown);
      }),
    );
  });
});

describe('labels on the page', () => {
  it('cannot be spoofed with bidi or zero-width characters, in any legend or attribute', () => {
    const spoofs = ['success\u200b', '\u202eeruliaf', 'succ\u2066ess\u2069', 'relay\u200d'];
    const samples: Sample[] = spoofs.flatMap((label, i): Sample[] => [
      {
        measurement: 'netbird_login',
        tags: { result: label },
        fields: { duration_seconds: 1 },
        timestampNs: ns(NOW - 1000 + i),
      },
      {
        measurement: 'netbird_peer_connection',
        tags: { connection_type: label, connection_pair_id: `p${i}` },
        fields: { total_seconds: 1 },
        timestampNs: ns(NOW - 900 + i),
      },
    ]);
    const data = computePanels(samples, { from: NOW - 60_000, to: NOW });
    const html = renderPage(data, {
      source: 'fixture',
      rangeKey: '1h',
      ranges: ['1h'],
      basePath: '/dashboard',
      generatedAt: NOW,
    });
    expect(hasInvisible(html)).toBe(false);
    expect(hasInvisible(JSON.stringify(data))).toBe(false);
    expect(html).toContain('success\\u{200B}');
    expect(html).toContain('\\u{202E}eruliaf');
    // Never merged with the real label it imitates.
    expect(data.loginSuccessVsFailure.map((s) => s.label)).not.toContain('success');
  });
});
