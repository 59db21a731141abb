import { describe, expect, it } from "vitest";
import { fillTemplate, MAX_TEMPLATE_RANGE, templateProblem } from "../../../chaos/load/template.js";

const fill = (text: string, sequence: number, key: string | null = null) =>
  fillTemplate(text, { key, sequence });

describe("request templates", () => {
  it("fills {{cycle N}} with 1..N in turn and {{key}} with the same key everywhere in one request", () => {
    expect([0, 1, 2, 3].map((sequence) => fill("/products/{{cycle 3}}", sequence))).toEqual([
      "/products/1",
      "/products/2",
      "/products/3",
      "/products/1",
    ]);
    expect(fill('{"id":"{{key}}","again":"{{key}}"}', 0, "k-1")).toBe('{"id":"k-1","again":"k-1"}');
  });

  it("fills {{shuffle N}} with each of 1..N once per round, in the same scattered order every time", () => {
    const round = (offset: number) =>
      Array.from({ length: 2000 }, (_, i) => Number(fill("{{shuffle 2000}}", offset + i)));
    const first = round(0);
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(round(2000)).toEqual(first);
    expect(first).not.toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    // Ids 1..200 (the seeded products) come interleaved with the others: about 20 in every 200 requests.
    for (let slice = 0; slice < 10; slice++) {
      const existing = first.slice(slice * 200, (slice + 1) * 200).filter((id) => id <= 200).length;
      expect(existing).toBeGreaterThan(5);
      expect(existing).toBeLessThan(40);
    }
  });

  it("names an unknown placeholder or a range out of bounds, and accepts the known ones", () => {
    expect(templateProblem("/products/{{cycle 200}}?k={{key}}&s={{shuffle 5}}")).toBeNull();
    expect(templateProblem("/products/{{random 5}}")).toMatch(/unknown placeholder \{\{random 5\}\}/);
    expect(templateProblem("/products/{{cycle 0}}")).toMatch(/N must be an integer from 1/);
    expect(templateProblem(`/products/{{shuffle ${MAX_TEMPLATE_RANGE + 1}}}`)).toMatch(/from 1 to/);
  });
});
