import { describe, expect, it } from "vitest";
import {
  DEFAULT_RATE_LIMITS,
  DEFAULT_RECOMMENDATIONS_BREAKER,
  DEV_JWT_SECRET,
  gatewayConfigFromEnv,
} from "../../../fixtures/shop/gateway/config.js";
import { GatewayConfigError } from "../../../fixtures/shop/gateway/errors.js";

describe("gateway configuration from SHOP_* variables", () => {
  it("runs with no variables at all: dev secret, per-client token bucket on Redis, default breaker", () => {
    const config = gatewayConfigFromEnv({});
    expect(config).toMatchObject({
      httpPort: 8080,
      adminPort: 0,
      etcdHosts: ["http://127.0.0.1:2379"],
      redisUrl: "redis://127.0.0.1:6379",
      jwtSecretIsDefault: true,
      tokenTtlSeconds: 3600,
      rateLimits: DEFAULT_RATE_LIMITS,
      recommendationsBreaker: DEFAULT_RECOMMENDATIONS_BREAKER,
      recommendationsDeadlineMillis: 300,
    });
    expect(new TextDecoder().decode(config.jwtSecret)).toBe(DEV_JWT_SECRET);
  });

  it("reads rate limits and a time-based breaker from JSON", () => {
    const config = gatewayConfigFromEnv({
      SHOP_ETCD_ENDPOINTS: "http://127.0.0.1:1,http://127.0.0.1:2",
      SHOP_RATE_LIMITS: JSON.stringify([
        { algorithm: "sliding_window", scope: "client", store: "redis", limit: 100, windowMillis: 60_000 },
        { algorithm: "token_bucket", scope: "global", store: "local", ratePerSecond: 200, burst: 400 },
      ]),
      SHOP_RECOMMENDATIONS_BREAKER: '{"failureRatio":0.5,"windowMillis":10000,"minimumRps":2}',
    });
    expect(config.etcdHosts).toHaveLength(2);
    expect(config.rateLimits.map((l) => l.algorithm)).toEqual(["sliding_window", "token_bucket"]);
    expect(config.recommendationsBreaker).toEqual({
      failureRatio: 0.5,
      windowMillis: 10_000,
      minimumRps: 2,
      halfOpenAfterMillis: undefined,
    });
    expect(gatewayConfigFromEnv({ SHOP_RATE_LIMITS: "[]" }).rateLimits).toEqual([]);
  });

  it.each([
    [{ SHOP_HTTP_PORT: "http" }, /SHOP_HTTP_PORT="http": must be an integer from 0 to 65535/],
    [{ SHOP_JWT_SECRET: "short" }, /at least 32 bytes for HS256, got 5/],
    [{ SHOP_RATE_LIMITS: "{" }, /SHOP_RATE_LIMITS="\{": is not JSON/],
    [{ SHOP_RATE_LIMITS: '{"algorithm":"token_bucket"}' }, /must be a JSON array/],
    [
      { SHOP_RATE_LIMITS: '[{"algorithm":"token_bucket","scope":"client","store":"local","limit":5}]' },
      /item 0: .*limit is not a field of token_bucket/,
    ],
    [
      {
        SHOP_RATE_LIMITS:
          '[{"algorithm":"fixed_window","scope":"client","store":"local","limit":5,"windowMillis":1000},' +
          '{"algorithm":"token_bucket","scope":"client","store":"local","ratePerSecond":1,"burst":5}]',
      },
      /item 1: a second policy named "client"/,
    ],
    [{ SHOP_RECOMMENDATIONS_BREAKER: '{"consecutiveFailures":0}' }, /consecutiveFailures must be a positive/],
    [
      { SHOP_RECOMMENDATIONS_BREAKER: '{"consecutiveFailures":3,"windowMillis":5}' },
      /windowMillis is not an option/,
    ],
    [{ SHOP_RECOMMENDATIONS_BREAKER: '{"failureRatio":1,"windowMillis":5}' }, /failureRatio must be below 1/],
  ])("refuses %j naming the variable", (env, message) => {
    expect(() => gatewayConfigFromEnv(env)).toThrow(GatewayConfigError);
    expect(() => gatewayConfigFromEnv(env)).toThrow(message);
  });
});
