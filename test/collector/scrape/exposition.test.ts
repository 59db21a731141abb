import { describe, expect, it } from "vitest";
import { isCollectorError } from "../../../collector/errors.js";
import { parseExposition } from "../../../collector/scrape/exposition.js";

function parseError(text: string): string {
  try {
    parseExposition(text);
  } catch (error) {
    expect(isCollectorError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected the exposition to be rejected");
}

describe("parseExposition", () => {
  it("reads HELP, TYPE, labels, values and timestamps", () => {
    const families = parseExposition(
      [
        "# HELP http_requests_total The total number of HTTP requests.",
        "# TYPE http_requests_total counter",
        'http_requests_total{method="post",code="200"} 1027 1395066363000',
        'http_requests_total{method="post",code="400"}    3 1395066363000',
        "",
        "metric_without_timestamp_and_labels 12.47",
      ].join("\n"),
    );
    expect(families).toEqual([
      {
        name: "http_requests_total",
        type: "counter",
        typed: true,
        help: "The total number of HTTP requests.",
        samples: [
          {
            name: "http_requests_total",
            labels: { method: "post", code: "200" },
            value: 1027,
            timestampMillis: 1395066363000,
          },
          {
            name: "http_requests_total",
            labels: { method: "post", code: "400" },
            value: 3,
            timestampMillis: 1395066363000,
          },
        ],
      },
      {
        name: "metric_without_timestamp_and_labels",
        type: "untyped",
        typed: false,
        help: "",
        samples: [
          { name: "metric_without_timestamp_and_labels", labels: {}, value: 12.47, timestampMillis: null },
        ],
      },
    ]);
  });

  it("unescapes backslashes, quotes and newlines in label values and backslashes and newlines in HELP", () => {
    const [family] = parseExposition(
      [
        "# HELP msdos_file_access_time_seconds Access time\\nin \\\\seconds",
        'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      ].join("\n"),
    );
    expect(family?.help).toBe("Access time\nin \\seconds");
    expect(family?.samples[0]?.labels).toEqual({
      path: "C:\\DIR\\FILE.TXT",
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    expect(family?.samples[0]?.value).toBe(1458255915);
  });

  it("reads +Inf, -Inf and NaN values and a timestamp before the epoch", () => {
    const [family] = parseExposition(
      'something_weird{problem="division by zero"} +Inf -3982045\nsomething_weird{problem="no"} -Inf\nsomething_weird NaN',
    );
    expect(family?.samples.map((s) => s.value)).toEqual([Infinity, -Infinity, Number.NaN]);
    expect(family?.samples[0]?.timestampMillis).toBe(-3982045);
  });

  it("groups the bucket, sum and count lines of a histogram and the quantiles of a summary into one family", () => {
    const families = parseExposition(
      [
        "# TYPE rpc_duration_seconds summary",
        'rpc_duration_seconds{quantile="0.5"} 4773',
        "rpc_duration_seconds_sum 1.7560473e+07",
        "rpc_duration_seconds_count 2693",
        "# TYPE http_request_duration_seconds histogram",
        'http_request_duration_seconds_bucket{le="0.05"} 24054',
        'http_request_duration_seconds_bucket{le="+Inf"} 144320',
        "http_request_duration_seconds_sum 53423",
        "http_request_duration_seconds_count 144320",
      ].join("\n"),
    );
    expect(families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ["rpc_duration_seconds", "summary", 3],
      ["http_request_duration_seconds", "histogram", 4],
    ]);
  });

  it("keeps the last line when the body does not end with a newline", () => {
    expect(parseExposition("a 1\nb 2")).toHaveLength(2);
  });

  it("accepts a trailing comma and blanks inside the label braces", () => {
    const [family] = parseExposition('jvm_gc_collection_seconds_count{ gc = "Copy" , } 104.0');
    expect(family?.samples[0]?.labels).toEqual({ gc: "Copy" });
  });

  it("ignores comments that are neither HELP nor TYPE", () => {
    expect(parseExposition("# just a comment\n  # another one\nx 1")).toHaveLength(1);
  });

  it("keeps a label named __proto__ as an ordinary label", () => {
    const [family] = parseExposition('x{__proto__="a"} 1');
    expect(Object.keys(family?.samples[0]?.labels ?? {})).toEqual(["__proto__"]);
  });

  it("rejects garbage with the line number and what it found", () => {
    expect(parseError("<html><body>Not here</body></html>")).toBe(
      'exposition line 1: expected a metric name, found "<html><body>Not here</body></html>"',
    );
    expect(parseError("ok 1\nthis is garbage")).toBe('exposition line 2: invalid value "is" for this');
  });

  it("rejects a sample without a value, or with text after its timestamp", () => {
    expect(parseError("x")).toBe("exposition line 1: missing value for x");
    expect(parseError("x 1 2 3")).toBe('exposition line 1: unexpected text "3" after the timestamp of x');
    expect(parseError("x 1 1.5")).toBe('exposition line 1: invalid timestamp "1.5" for x');
  });

  it("rejects broken label sets", () => {
    expect(parseError('x{a="1} 1')).toBe("exposition line 1: unterminated label value");
    expect(parseError("x{a=1} 1")).toBe("exposition line 1: expected a quoted value for label a of x");
    expect(parseError('x{a="1",a="2"} 1')).toBe("exposition line 1: label a repeated in x");
    expect(parseError('x{a="1" b="2"} 1')).toBe('exposition line 1: expected "," or "}" after label a of x');
  });

  it("rejects a second TYPE, a TYPE after the samples and an unknown type", () => {
    expect(parseError("# TYPE x gauge\n# TYPE x counter")).toBe("exposition line 2: second TYPE for x");
    expect(parseError("x 1\n# TYPE x gauge")).toBe("exposition line 2: TYPE for x after its samples");
    expect(parseError("# TYPE x meter")).toBe('exposition line 1: unknown type "meter" for x');
    expect(parseError("# HELP x a\n# HELP x b")).toBe("exposition line 2: second HELP for x");
  });
});
