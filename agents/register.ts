// `node --import <this file> app.js`: the app runs observable without a line changed.
import { startAgent } from "./sdk.js";

startAgent();
