// The filters of a view: one small GET form per tag and the active filters as chips, each a link
// to the view without it. Plain HTML: it works without JavaScript. Each tag has its own form
// with a required input because a browser submits every field of a form, empty ones as `tag=`,
// and the dashboard refuses an empty filter value rather than guess what it means; so a form
// only ever sends its one non-empty value, and keeps the range and the other filters.
import { ATTEMPT_TYPES, CONNECTION_TYPES, DEPLOYMENT_TYPES } from '../../../protocol/schema.js';
import { FILTER_TAGS, type FilterTag, filterEntries, MAX_FILTER_VALUE_LENGTH } from '../filters.js';
import { escapeHtml } from '../format.js';
import { displayLabel } from '../labels.js';
import { rangeParams, removeFilter, type View } from './links.js';

/** Values to suggest per tag (the closed sets, and the groups the breakdowns show). */
export type Suggestions = Readonly<Partial<Record<FilterTag, readonly string[]>>>;

const KNOWN_VALUES: Suggestions = {
  connection_type: CONNECTION_TYPES,
  attempt_type: ATTEMPT_TYPES,
  deployment_type: DEPLOYMENT_TYPES,
};

export const tagTitle = (tag: FilterTag): string => tag.replace(/_/g, ' ');

const hidden = (name: string, value: string) =>
  `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;

function tagForm(view: View, tag: FilterTag, values: readonly string[]): string {
  const keep = [
    ...rangeParams(view),
    ...filterEntries(view.filters).filter(([other]) => other !== tag),
  ];
  const current = view.filters[tag];
  const options = values.map((v) => `<option value="${escapeHtml(v)}"></option>`).join('');
  return (
    `<form class="filter" method="get" action="${escapeHtml(view.basePath)}" data-tag="${tag}">` +
    keep.map(([name, value]) => hidden(name, value)).join('') +
    `<label><span>${tagTitle(tag)}</span><input name="${tag}" required maxlength="${MAX_FILTER_VALUE_LENGTH}" list="values-${tag}" placeholder="any"${current === undefined ? '' : ` value="${escapeHtml(current)}"`}></label>` +
    `<datalist id="values-${tag}">${options}</datalist>` +
    `<button type="submit">${current === undefined ? 'add' : 'set'}</button></form>`
  );
}

function chips(view: View): string {
  const active = filterEntries(view.filters);
  if (active.length === 0)
    return '<p class="chips" id="chips">No filters: every sample counts.</p>';
  const links = active.map(
    ([tag, value]) =>
      `<a class="chip" data-tag="${tag}" href="${escapeHtml(removeFilter(view, tag))}" title="remove this filter">` +
      `${tagTitle(tag)}: ${escapeHtml(displayLabel(value))} <span aria-hidden="true">×</span></a>`,
  );
  return `<p class="chips" id="chips">Filtered to ${links.join(' ')}</p>`;
}

export function filterBar(view: View, suggestions: Suggestions = {}): string {
  const forms = FILTER_TAGS.map((tag) => {
    const values = [...new Set([...(KNOWN_VALUES[tag] ?? []), ...(suggestions[tag] ?? [])])];
    return tagForm(view, tag, values);
  });
  return (
    `<div class="filters" id="filters" role="search" aria-label="filters">${forms.join('')}</div>` +
    chips(view)
  );
}
