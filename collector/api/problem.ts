import { STATUS_CODES } from "node:http";
import type { Response } from "express";
import { ERROR_STATUS, InvalidParameterError, isCollectorError } from "../errors.js";

/** RFC 9457 problem details; `parameter` names the offending query parameter. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  parameter?: string;
}

/** The problem an error answers with: Shakedown's errors by their code, express's own 4xx (an undecodable path) as is. */
export function problemOf(error: unknown): Problem {
  if (isCollectorError(error)) {
    const status = ERROR_STATUS[error.code].http;
    const slug = error.code
      .replace(/^SHAKEDOWN_/, "")
      .toLowerCase()
      .replaceAll("_", "-");
    const problem: Problem = {
      type: `urn:shakedown:problem:${slug}`,
      title: STATUS_CODES[status] ?? "Error",
      status,
      detail: error.message,
    };
    if (error instanceof InvalidParameterError) problem.parameter = error.parameter;
    return problem;
  }
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return {
      type: "about:blank",
      title: STATUS_CODES[status] ?? "Client Error",
      status,
      detail: String((error as Error).message),
    };
  }
  return {
    type: "about:blank",
    title: STATUS_CODES[500] ?? "Internal Server Error",
    status: 500,
    detail: error instanceof Error ? error.message : String(error),
  };
}

export function sendProblem(response: Response, problem: Problem): void {
  response.status(problem.status).type("application/problem+json").json(problem);
}
