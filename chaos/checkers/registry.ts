import { admittedRate } from "./admitted-rate.js";
import { callsWhileOpen } from "./calls-while-open.js";
import { exactlyOnce } from "./exactly-once.js";
import { noProducerDuplicates } from "./no-producer-duplicates.js";
import { noop } from "./noop.js";
import type { Checker } from "./types.js";

/** Every checker by the snake_case name experiment files use; validation and runs both read this map. */
export const checkers: Readonly<Record<string, Checker>> = Object.fromEntries(
  [exactlyOnce, noProducerDuplicates, admittedRate, callsWhileOpen, noop].map((checker) => [
    checker.name,
    checker as Checker,
  ]),
);
