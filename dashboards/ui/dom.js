/**
 * Element builders. Telemetry strings only ever become text nodes or attribute values here; nothing in the UI
 * parses HTML (the page's Content-Security-Policy requires Trusted Types, so an HTML sink would throw).
 */

/** @typedef {Node | string | number | false | null | undefined} Child */

/**
 * @typedef {{
 *   class?: string,
 *   title?: string,
 *   href?: string,
 *   text?: string,
 *   dataset?: Record<string, string>,
 *   attrs?: Record<string, string>,
 *   style?: Partial<Record<"width" | "left" | "paddingLeft" | "background" | "borderColor" | "color", string>>,
 *   on?: { [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void },
 * }} Props
 */

/**
 * @param {Element} el
 * @param {Child[]} children
 */
function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "number" ? String(child) : child);
  }
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  if (props.class !== undefined) el.className = props.class;
  if (props.title !== undefined) el.title = props.title;
  if (props.href !== undefined) el.setAttribute("href", props.href);
  if (props.text !== undefined) el.textContent = props.text;
  if (props.dataset !== undefined) Object.assign(el.dataset, props.dataset);
  if (props.attrs !== undefined) for (const [k, v] of Object.entries(props.attrs)) el.setAttribute(k, v);
  // CSSOM properties, not a style attribute: the CSP allows no inline styles.
  if (props.style !== undefined) Object.assign(el.style, props.style);
  if (props.on !== undefined) {
    for (const [type, listener] of Object.entries(props.on)) {
      el.addEventListener(type, /** @type {EventListener} */ (listener));
    }
  }
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {...Child} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A `<select>` of values with their labels.
 * @param {string} name
 * @param {readonly (string | [string, string])[]} options value, or [value, label]
 * @param {string} selected
 * @param {Props} [props]
 */
export function select(name, options, selected, props = {}) {
  const el = h("select", { ...props, attrs: { name, ...props.attrs } });
  for (const option of options) {
    const [value, label] = typeof option === "string" ? [option, option] : option;
    const item = h("option", { text: label, attrs: { value } });
    if (value === selected) item.selected = true;
    el.append(item);
  }
  return el;
}

/**
 * A labelled form field.
 * @param {string} label
 * @param {HTMLElement} control
 */
export function field(label, control) {
  return h("label", { class: "field" }, h("span", { text: label }), control);
}

/**
 * A two-column table of key/value pairs, values as text.
 * @param {[string, Child][]} rows
 * @param {string} [className]
 */
export function keyValueTable(rows, className = "kv") {
  return h(
    "table",
    { class: className },
    h("tbody", {}, ...rows.map(([k, v]) => h("tr", {}, h("th", { text: k }), h("td", {}, v)))),
  );
}

/**
 * A table with a header row.
 * @param {string[]} headers
 * @param {HTMLTableRowElement[]} rows
 * @param {string} [className]
 */
export function table(headers, rows, className = "grid") {
  return h(
    "table",
    { class: className },
    h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { text: t })))),
    h("tbody", {}, ...rows),
  );
}

/**
 * A message in place of content: loading, empty, or an error.
 * @param {"empty" | "error" | "loading"} kind
 * @param {string} text
 */
export function notice(kind, text) {
  return h("p", { class: `notice ${kind}`, text, attrs: kind === "error" ? { role: "alert" } : {} });
}
