import { describe, expect, it } from "vitest";
import { cacheSettingsFromEnv, isCacheError } from "../../../fixtures/shop/cache/index.js";

describe("the catalog's cache settings from the environment", () => {
  it("reads TTLs, jitter and breakdown mode, and leaves unset or empty variables to the cache's defaults", () => {
    expect(cacheSettingsFromEnv({})).toEqual({});
    expect(cacheSettingsFromEnv({ SHOP_CACHE_TTL_MILLIS: "", SHOP_CACHE_BREAKDOWN_MODE: "" })).toEqual({});
    expect(
      cacheSettingsFromEnv({
        SHOP_CACHE_TTL_MILLIS: "10000",
        SHOP_CACHE_NULL_TTL_MILLIS: "2000",
        SHOP_CACHE_TTL_JITTER_FRACTION: "0",
        SHOP_CACHE_BREAKDOWN_MODE: "logical_expiry",
      }),
    ).toEqual({
      ttlMillis: 10_000,
      nullTtlMillis: 2000,
      ttlJitterFraction: 0,
      breakdownMode: "logical_expiry",
    });
  });

  it("refuses a bad value with an error that names the variable", () => {
    const refusal = (env: NodeJS.ProcessEnv) => {
      try {
        cacheSettingsFromEnv(env);
      } catch (error) {
        if (isCacheError(error)) return `${error.code} ${error.message}`;
        throw error;
      }
      return "accepted";
    };
    expect(refusal({ SHOP_CACHE_TTL_MILLIS: "10s" })).toBe(
      "SHOP_CACHE_CONFIG cache option SHOP_CACHE_TTL_MILLIS is 10s; expected an integer >= 1",
    );
    expect(refusal({ SHOP_CACHE_NULL_TTL_MILLIS: "0" })).toMatch(/SHOP_CACHE_NULL_TTL_MILLIS is 0/);
    expect(refusal({ SHOP_CACHE_TTL_JITTER_FRACTION: "1" })).toMatch(
      /JITTER_FRACTION is 1; expected a number in \[0, 1\)/,
    );
    expect(refusal({ SHOP_CACHE_BREAKDOWN_MODE: "mutex" })).toMatch(/expected lock \| logical_expiry/);
  });
});
