import { STATUS_CODES } from "node:http";
import type { Response } from "express";
import { InvalidParameterError, isQueryError, type QueryErrorCode } from "../query/errors.js";

/** RFC 9457 problem details; `parameter` names the offending query parameter. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  parameter?: string;
}

const PROBLEMS: Readonly<Record<QueryErrorCode, { status: number; type: string; title: string }>> = {
  SHAKEDOWN_INVALID_PARAMETER: {
    status: 400,
    type: "urn:shakedown:problem:invalid-parameter",
    title: "Invalid request parameter",
  },
  SHAKEDOWN_NOT_FOUND: { status: 404, type: "urn:shakedown:problem:not-found", title: "Not found" },
};

/** The problem an error answers with: query errors by their code, express's own 4xx (an undecodable path) as is. */
export function problemOf(error: unknown): Problem {
  if (isQueryError(error)) {
    const problem: Problem = { ...PROBLEMS[error.code], detail: error.message };
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
