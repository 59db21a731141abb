import type { FloodPulses } from "../experiment/types.js";

/**
 * When each request of a pulsed flood leaves, in Unix epoch milliseconds. Pulses are centred on the whole
 * multiples of `everyMillis` since the epoch, the way fixed-window limiters align their windows, so a pulse
 * centred on a window edge loads the end of one window and the start of the next. Only pulses wholly inside
 * [startMillis, startMillis + durationMillis) are sent; within one, requests leave every 1000 / rate ms from
 * its start. At most `maxRequests` times are returned.
 */
export function pulseTimes(
  startMillis: number,
  durationMillis: number,
  ratePerSecond: number,
  pulses: FloodPulses,
  maxRequests: number,
): number[] {
  const { everyMillis, widthMillis } = pulses;
  const intervalMillis = 1000 / ratePerSecond;
  const perPulse = Math.max(1, Math.round((widthMillis * ratePerSecond) / 1000));
  const endMillis = startMillis + durationMillis;
  const times: number[] = [];
  for (
    let center = Math.ceil((startMillis + widthMillis / 2) / everyMillis) * everyMillis;
    center + widthMillis / 2 <= endMillis;
    center += everyMillis
  ) {
    const first = center - widthMillis / 2;
    for (let n = 0; n < perPulse; n++) {
      if (times.length >= maxRequests) return times;
      times.push(first + n * intervalMillis);
    }
  }
  return times;
}
