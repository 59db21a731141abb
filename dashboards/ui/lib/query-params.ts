/** The trace search form's attribute box: one `key=value` per line, turned into the API's `attr.<key>` filters. */

export interface AttributeFilters {
  filters: Record<string, string>;
  /** Lines that are not `key=value` with a usable key, quoted back to the user. */
  invalid: string[];
}

export function parseAttributeFilters(text: string): AttributeFilters {
  const filters: Record<string, string> = {};
  const invalid: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const at = line.indexOf("=");
    const key = at > 0 ? line.slice(0, at).trim() : "";
    // The API refuses keys with quotes or backslashes: they would escape its JSON path.
    if (key === "" || /["\\]/.test(key)) invalid.push(line);
    else filters[key] = line.slice(at + 1).trim();
  }
  return { filters, invalid };
}

export function formatAttributeFilters(filters: Record<string, string>): string {
  return Object.entries(filters)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
}

/** The `attr.*` (or `labels.*`) entries of a parameter list, without the prefix. */
export function prefixedParams(params: URLSearchParams, prefix: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of params) if (name.startsWith(prefix)) found[name.slice(prefix.length)] = value;
  return found;
}
