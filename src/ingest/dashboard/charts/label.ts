// Labels that came from a client (tag values), safe in HTML text and attributes and unable to
// pass for another label: invisible and reordering characters are shown as escapes.
import { escapeHtml } from '../format.js';
import { displayLabel } from '../labels.js';

export const label = (text: string): string => escapeHtml(displayLabel(text));

/** A label that may wrap after each `_` (`routes_classify` in a narrow table column). */
export const wrappingLabel = (text: string): string => label(text).replace(/_/g, '_<wbr>');
