/** A piece of a WHERE clause with the values its placeholders bind, in order. */
export interface SqlCondition {
  sql: string;
  args: unknown[];
}

/**
 * True when the JSON attribute map in `column` holds `key` with a value whose text equals `value`: strings
 * compare by their decoded text, numbers and booleans by their JSON text ("200", "1.5", "true"), so a user's
 * `http.status_code=200` matches both an int and a string attribute.
 */
export function attributeEquals(column: string, key: string, value: string): SqlCondition {
  const path = `$."${key}"`;
  return {
    sql: `(CASE json_type(${column}, ?) WHEN 'text' THEN json_extract(${column}, ?) ELSE ${column} -> ? END) = ?`,
    args: [path, path, path, value],
  };
}

/** SQLite's quoted JSON path labels have no escapes, so keys holding these characters cannot be addressed. */
export function isMatchableAttributeKey(key: string): boolean {
  return key !== "" && !/["\\]/.test(key);
}
