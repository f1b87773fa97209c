// One panel of the page: a titled section with a hint and a body, or "No data" when nothing in
// the range and filters feeds it. `data-*` attributes name it and say how many samples it shows,
// for tests and scripts that read the page.
import { escapeHtml } from '../format.js';

export interface SectionSpec {
  /** `panel` for NetBird's eight panels, `view` for the operator views. */
  readonly role: 'panel' | 'view';
  readonly id: string;
  readonly title: string;
  readonly hint: string;
  /** Grid columns out of 12 on a wide screen (a narrow one stacks every panel). */
  readonly width: 3 | 4 | 6 | 12;
  readonly count: number;
  /** Only rendered when `count` is above 0. */
  readonly body: () => string;
  /** Extra attributes, already escaped. */
  readonly attrs?: string;
}

export function section(spec: SectionSpec): string {
  const body = spec.count === 0 ? '<div class="empty">No data</div>' : spec.body();
  return (
    `<section class="panel w${spec.width}" id="${spec.role}-${spec.id}" data-${spec.role}="${spec.id}"${spec.attrs ?? ''} data-count="${spec.count}">` +
    `<h2>${escapeHtml(spec.title)}</h2><p class="hint">${escapeHtml(spec.hint)}</p>${body}</section>`
  );
}
