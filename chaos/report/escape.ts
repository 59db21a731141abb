/**
 * Escaping for the hand-built XML and HTML reports. They are written by hand because they are small,
 * self-contained files and a template engine would be a runtime dependency for a few lines of markup.
 */

/** XML 1.0's Char production: most control characters, lone surrogates and U+FFFE/U+FFFF are not allowed. */
function allowedInXml(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    codePoint >= 0x10000
  );
}

/** Replaces what XML cannot carry, even escaped, by U+FFFD; iterating by code point isolates lone surrogates. */
function replaceInvalid(value: string): string {
  let out = "";
  for (const char of value) out += allowedInXml(char.codePointAt(0) as number) ? char : "\uFFFD";
  return out;
}

export function xmlText(value: string): string {
  return replaceInvalid(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escaped for a double-quoted attribute; newlines and tabs kept as character references. */
export function xmlAttribute(value: string): string {
  return xmlText(value)
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

export function escapeHtml(value: string): string {
  return replaceInvalid(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Markup that is already safe; everything else interpolated into `html` is escaped. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/** A template tag that escapes every interpolated value unless it is SafeHtml (or an array of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? "");
  });
  return new SafeHtml(out);
}
