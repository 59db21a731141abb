import { describe, expect, it } from "vitest";
import { checkTarget, parseTargets, targetResource } from "../../../collector/scrape/targets.js";

describe("parseTargets", () => {
  it("reads job=url entries separated by commas", () => {
    expect(parseTargets("orders=http://127.0.0.1:9464/metrics, etcd=http://localhost:2379/metrics")).toEqual([
      { job: "orders", url: "http://127.0.0.1:9464/metrics" },
      { job: "etcd", url: "http://localhost:2379/metrics" },
    ]);
  });

  it("names the job of a bare URL after its host and port", () => {
    expect(parseTargets("http://127.0.0.1:9464/metrics")).toEqual([
      { job: "127.0.0.1:9464", url: "http://127.0.0.1:9464/metrics" },
    ]);
    expect(parseTargets("http://localhost/metrics")).toEqual([
      { job: "localhost:80", url: "http://localhost/metrics" },
    ]);
  });

  it("takes a bare URL with = in its query for a URL, not a job", () => {
    expect(parseTargets("http://[::1]:9100/metrics?format=text")).toEqual([
      { job: "[::1]:9100", url: "http://[::1]:9100/metrics?format=text" },
    ]);
  });

  it("gives no target for an empty flag", () => {
    expect(parseTargets("")).toEqual([]);
  });

  it("rejects what is not an http URL, a URL with credentials and a URL listed twice", () => {
    expect(() => parseTargets("orders=127.0.0.1:9464")).toThrow(
      'scrape target "127.0.0.1:9464" is not a URL',
    );
    expect(() => parseTargets("ftp://127.0.0.1/metrics")).toThrow("must use http or https");
    expect(() => parseTargets("http://u:p@127.0.0.1/metrics")).toThrow("must not carry credentials");
    expect(() => parseTargets("a=http://127.0.0.1/m,b=http://127.0.0.1/m#x")).toThrow("listed twice");
  });
});

describe("checkTarget", () => {
  it("rejects an empty job name", () => {
    expect(() => checkTarget({ job: " ", url: "http://127.0.0.1/metrics" })).toThrow("empty job name");
  });
});

describe("targetResource", () => {
  it("names the service after the job and the instance after host and port", () => {
    const resource = targetResource({ job: "orders", url: "http://[::1]:9464/metrics" }, { env: "ci" });
    expect(resource).toMatchObject({ serviceName: "orders", serviceInstanceId: "[::1]:9464" });
    expect(resource.attributes).toBe(
      '{"service.name":"orders","service.instance.id":"[::1]:9464","server.address":"::1","server.port":9464,"url.scheme":"http","env":"ci"}',
    );
  });
});
