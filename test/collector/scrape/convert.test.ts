import { describe, expect, it } from "vitest";
import { familiesToRows, type SeriesState } from "../../../collector/scrape/convert.js";
import { parseExposition } from "../../../collector/scrape/exposition.js";

const T0 = 1_700_000_000_000_000_000n;
const T1 = T0 + 15_000_000_000n;
const T2 = T1 + 15_000_000_000n;

function convert(text: string, time = T0, previous: ReadonlyMap<string, SeriesState> = new Map()) {
  return familiesToRows(parseExposition(text), time, previous);
}

const HISTOGRAM = [
  "# HELP rpc_seconds RPC latency.",
  "# TYPE rpc_seconds histogram",
  'rpc_seconds_bucket{method="get",le="0.1"} 1',
  'rpc_seconds_bucket{method="get",le="0.5"} 3',
  'rpc_seconds_bucket{method="get",le="1"} 3',
  'rpc_seconds_bucket{method="get",le="+Inf"} 4',
  'rpc_seconds_sum{method="get"} 2.65',
  'rpc_seconds_count{method="get"} 4',
  'rpc_seconds_bucket{method="put",le="0.1"} 0',
  'rpc_seconds_bucket{method="put",le="0.5"} 0',
  'rpc_seconds_bucket{method="put",le="1"} 1',
  'rpc_seconds_bucket{method="put",le="+Inf"} 1',
  'rpc_seconds_sum{method="put"} 0.7',
  'rpc_seconds_count{method="put"} 1',
].join("\n");

describe("familiesToRows", () => {
  it("turns a counter into a cumulative monotonic sum that keeps its _total name", () => {
    const { rows } = convert(
      '# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total{queue="b",kind="a"} 5',
    );
    expect(rows).toEqual([
      {
        series: {
          name: "jobs_total",
          description: "Jobs done.",
          unit: "",
          type: "sum",
          temporality: 2,
          monotonic: true,
          attributes: '{"kind":"a","queue":"b"}',
          metadata: '{"prometheus.type":"counter"}',
        },
        points: [
          {
            startTimeUnixNano: T0,
            timeUnixNano: T0,
            value: 5,
            count: null,
            sum: null,
            min: null,
            max: null,
            flags: 0,
            detail: null,
            exemplars: null,
          },
        ],
      },
    ]);
  });

  it("turns gauges and untyped samples into gauges", () => {
    const { rows } = convert("# TYPE temp gauge\ntemp 21.5\nloose 3");
    expect(rows.map((r) => [r.series.name, r.series.type, r.series.metadata, r.points[0]?.value])).toEqual([
      ["temp", "gauge", '{"prometheus.type":"gauge"}', 21.5],
      ["loose", "gauge", '{"prometheus.type":"unknown"}', 3],
    ]);
  });

  it("turns each label set of a histogram into one point with per-bucket counts", () => {
    const { rows } = convert(HISTOGRAM);
    expect(rows.map((r) => r.series.attributes)).toEqual(['{"method":"get"}', '{"method":"put"}']);
    expect(rows[0]?.series).toMatchObject({ name: "rpc_seconds", type: "histogram", temporality: 2 });
    expect(rows[0]?.points[0]).toMatchObject({ count: 4, sum: 2.65, value: null });
    expect(JSON.parse(rows[0]?.points[0]?.detail ?? "")).toEqual({
      bucketCounts: [1, 2, 0, 1],
      explicitBounds: [0.1, 0.5, 1],
    });
    expect(JSON.parse(rows[1]?.points[0]?.detail ?? "")).toEqual({
      bucketCounts: [0, 0, 1, 0],
      explicitBounds: [0.1, 0.5, 1],
    });
  });

  it("orders histogram buckets by bound whatever order the lines come in", () => {
    const { rows } = convert(
      '# TYPE h histogram\nh_bucket{le="+Inf"} 5\nh_bucket{le="1"} 4\nh_bucket{le="0.5"} 1\nh_count 5\nh_sum 3',
    );
    expect(JSON.parse(rows[0]?.points[0]?.detail ?? "")).toEqual({
      bucketCounts: [1, 3, 1],
      explicitBounds: [0.5, 1],
    });
  });

  it("drops a histogram without _count and leaves the sum of one without _sum unset", () => {
    const { rows } = convert(
      '# TYPE h histogram\nh_bucket{a="1",le="+Inf"} 2\nh_sum{a="1"} 3\nh_bucket{a="2",le="+Inf"} 2\nh_count{a="2"} 2',
    );
    expect(rows.map((r) => [r.series.attributes, r.points[0]?.sum])).toEqual([['{"a":"2"}', null]]);
  });

  it("rejects histogram buckets whose cumulative counts decrease", () => {
    expect(() => convert('# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="2"} 4\nh_count 5')).toThrow(
      'h_bucket{} decreases at le="2"',
    );
  });

  it("rejects a histogram sample without a suffix and a bucket without le", () => {
    expect(() => convert("# TYPE h histogram\nh 1")).toThrow("histogram h has an unexpected sample h");
    expect(() => convert("# TYPE h histogram\nh_bucket 1\nh_count 1")).toThrow("h_bucket{} has no le label");
  });

  it("turns a summary into quantiles with its count and sum", () => {
    const { rows } = convert(
      '# TYPE rpc summary\nrpc{quantile="0.5",m="a"} 4773\nrpc{quantile="0.99",m="a"} 76656\nrpc_sum{m="a"} 1.7e7\nrpc_count{m="a"} 2693',
    );
    expect(rows[0]?.series).toMatchObject({ name: "rpc", type: "summary", attributes: '{"m":"a"}' });
    expect(rows[0]?.points[0]).toMatchObject({ count: 2693, sum: 1.7e7 });
    expect(JSON.parse(rows[0]?.points[0]?.detail ?? "")).toEqual({
      quantiles: [
        { quantile: 0.5, value: 4773 },
        { quantile: 0.99, value: 76656 },
      ],
    });
  });

  it("rejects a series that appears twice in one scrape", () => {
    expect(() => convert('x{a="1"} 1\nx{a="1"} 2')).toThrow('x{"a":"1"} appears twice');
  });

  it("uses the sample's own timestamp when it has one", () => {
    const { rows } = convert("x 1 1700000000123");
    expect(rows[0]?.points[0]?.timeUnixNano).toBe(1_700_000_000_123_000_000n);
  });

  it("keeps the first-seen start time of a series across scrapes", () => {
    const first = convert("# TYPE c_total counter\nc_total 1", T0);
    const second = convert("# TYPE c_total counter\nc_total 4", T1, first.states);
    expect(second.rows[0]?.points[0]).toMatchObject({ startTimeUnixNano: T0, timeUnixNano: T1, value: 4 });
  });

  it("starts a counter afresh after the previous scrape when its value drops", () => {
    const first = convert("# TYPE c_total counter\nc_total 10", T0);
    const second = convert("# TYPE c_total counter\nc_total 12", T1, first.states);
    const third = convert("# TYPE c_total counter\nc_total 2", T2, second.states);
    expect(third.rows[0]?.points[0]).toMatchObject({ startTimeUnixNano: T1, timeUnixNano: T2 });
  });

  it("starts a histogram afresh after the previous scrape when its count drops", () => {
    const first = convert(HISTOGRAM, T0);
    const second = convert(HISTOGRAM, T1, first.states);
    const zeroed = HISTOGRAM.replace(/} [0-9.]+$/gm, "} 0");
    const third = convert(zeroed, T2, second.states);
    expect(second.rows.map((r) => r.points[0]?.startTimeUnixNano)).toEqual([T0, T0]);
    expect(third.rows.map((r) => r.points[0]?.startTimeUnixNano)).toEqual([T1, T1]);
  });

  it("turns target_info into resource attributes instead of a series", () => {
    const { rows, targetInfo } = convert(
      '# TYPE target_info gauge\ntarget_info{env="ci",region="x"} 1\nup_here 1',
    );
    expect(targetInfo).toEqual({ env: "ci", region: "x" });
    expect(rows.map((r) => r.series.name)).toEqual(["up_here"]);
  });
});
