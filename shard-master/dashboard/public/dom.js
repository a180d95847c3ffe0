// Every element of the page is built here, and every piece of text goes in as a text node: a
// server id, a zone, a hot key or an error message named `<script>` is shown as those characters,
// never parsed as markup. Nothing in the page assigns innerHTML.

/**
 * h('td', { class: 'num', title: 'why' }, 'text', childNode, ...): an element with attributes and
 * children; strings and numbers become text nodes; null, undefined and false are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = String(value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (typeof value === 'function' && name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name.startsWith('on')) throw new Error(`h(): event attribute ${name} must be a function`);
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Replaces the children of `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** A short "not reported yet" / "unavailable" line. */
export function note(text, kind = 'note') {
  return h('p', { class: kind }, text);
}
