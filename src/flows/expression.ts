/**
 * Conditions of IF actions: `$keyPresses == '1' && $sessionData.age > 21`. A tokenizer and a
 * precedence-climbing parser over a fixed grammar; evaluation reads flow variables through
 * `lookup` only. Nothing here runs JavaScript from the text: no eval, no Function, no property
 * access beyond own data properties.
 *
 *   or      := and ('||' and)*
 *   and     := compare ('&&' compare)*
 *   compare := unary (('=='|'!='|'<'|'>'|'<='|'>=') unary)?
 *   unary   := ('!' | '-') unary | primary
 *   primary := '(' or ')' | $path | ${path} | 'string' | "string" | number | true | false | null
 */
import { type FlowValue, type FlowVariables, lookup, parsePath } from './variables.js';

export const EXPRESSION_LIMITS = { maxLength: 4096, maxTokens: 512, maxDepth: 32 } as const;

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'ExpressionError';
  }
}

type CompareOp = '==' | '!=' | '<' | '>' | '<=' | '>=';
export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'variable'; path: string[] }
  | { kind: 'not'; operand: Expr }
  | { kind: 'negate'; operand: Expr }
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr };

type Token =
  | { t: 'op'; v: string; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'var'; v: string[]; pos: number }
  | { t: 'word'; v: string; pos: number }
  | { t: 'end'; pos: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '-'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (tok: Token) => {
    out.push(tok);
    if (out.length > EXPRESSION_LIMITS.maxTokens)
      throw new ExpressionError(`more than ${EXPRESSION_LIMITS.maxTokens} tokens`, tok.pos);
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let v = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i++];
      }
      if (i >= src.length) throw new ExpressionError('unterminated string', start);
      i++;
      push({ t: 'str', v, pos: start });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|^[0-9]+\.?/.exec(src.slice(i, i + 64));
      const text = m ? m[0] : c;
      i += text.length;
      const v = Number(text);
      if (!Number.isFinite(v)) throw new ExpressionError('bad number', start);
      push({ t: 'num', v, pos: start });
    } else if (c === '$') {
      // `$a.b` or `${a.b}`
      let path: string;
      if (src[i + 1] === '{') {
        const close = src.indexOf('}', i + 2);
        if (close < 0) throw new ExpressionError('unterminated ${', start);
        path = src.slice(i + 2, close).trim();
        i = close + 1;
      } else {
        const m = /^[A-Za-z0-9_.]*/.exec(src.slice(i + 1, i + 1 + 600)) as RegExpExecArray;
        path = m[0];
        i += 1 + path.length;
      }
      const segments = parsePath(path);
      if (!segments) throw new ExpressionError(`invalid variable "$${path.slice(0, 40)}"`, start);
      push({ t: 'var', v: segments, pos: start });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 64)) as RegExpExecArray;
      i += m[0].length;
      push({ t: 'word', v: m[0], pos: start });
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) throw new ExpressionError(`unexpected character "${c}"`, start);
      i += op.length;
      push({ t: 'op', v: op, pos: start });
    }
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    const e = this.or();
    const tok = this.tokens[this.i];
    if (tok.t !== 'end') throw new ExpressionError('unexpected token', tok.pos);
    return e;
  }

  private isOp(v: string): boolean {
    const tok = this.tokens[this.i];
    return tok.t === 'op' && tok.v === v;
  }

  private enter(pos: number): void {
    if (++this.depth > EXPRESSION_LIMITS.maxDepth)
      throw new ExpressionError(`nested deeper than ${EXPRESSION_LIMITS.maxDepth}`, pos);
  }

  private or(): Expr {
    let left = this.and();
    while (this.isOp('||')) {
      this.i++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.compare();
    while (this.isOp('&&')) {
      this.i++;
      left = { kind: 'and', left, right: this.compare() };
    }
    return left;
  }

  private compare(): Expr {
    const left = this.unary();
    const tok = this.tokens[this.i];
    if (tok.t === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(tok.v)) {
      this.i++;
      return { kind: 'compare', op: tok.v as CompareOp, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    const tok = this.tokens[this.i];
    if (tok.t === 'op' && (tok.v === '!' || tok.v === '-')) {
      this.i++;
      this.enter(tok.pos);
      const operand = this.unary();
      this.depth--;
      return tok.v === '!' ? { kind: 'not', operand } : { kind: 'negate', operand };
    }
    return this.primary();
  }

  private primary(): Expr {
    const tok = this.tokens[this.i++];
    switch (tok.t) {
      case 'str':
      case 'num':
        return { kind: 'literal', value: tok.v };
      case 'var':
        return { kind: 'variable', path: tok.v };
      case 'word':
        if (tok.v === 'true' || tok.v === 'false') return { kind: 'literal', value: tok.v === 'true' };
        if (tok.v === 'null') return { kind: 'literal', value: null };
        throw new ExpressionError(`unknown word "${tok.v}" (variables start with $, strings are quoted)`, tok.pos);
      case 'op':
        if (tok.v === '(') {
          this.enter(tok.pos);
          const inner = this.or();
          this.depth--;
          const close = this.tokens[this.i];
          if (close.t !== 'op' || close.v !== ')') throw new ExpressionError('missing )', close.pos);
          this.i++;
          return inner;
        }
        throw new ExpressionError(`unexpected "${tok.v}"`, tok.pos);
      default:
        throw new ExpressionError('unexpected end of expression', tok.pos);
    }
  }
}

/** Parses a condition; throws ExpressionError for bad syntax or an expression over the limits. */
export function parseExpression(src: string): Expr {
  if (typeof src !== 'string') throw new ExpressionError('expression must be a string', 0);
  if (src.length > EXPRESSION_LIMITS.maxLength)
    throw new ExpressionError(`longer than ${EXPRESSION_LIMITS.maxLength} characters`, EXPRESSION_LIMITS.maxLength);
  return new Parser(tokenize(src)).parse();
}

export function truthy(v: FlowValue): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return false;
  return !(typeof v === 'number' && Number.isNaN(v));
}

const NUMERIC = /^\s*-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$/;

/** A number, or a string that reads as one (digits pressed are strings); else undefined. */
function asNumber(v: FlowValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

function equal(a: FlowValue, b: FlowValue): boolean {
  if ((a === undefined || a === null) && (b === undefined || b === null)) return true;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = asNumber(a);
    const y = asNumber(b);
    return x !== undefined && y !== undefined && x === y;
  }
  // Objects and arrays are never equal to anything: conditions compare values, not identities.
  return typeof a !== 'object' && a === b;
}

function order(op: CompareOp, a: FlowValue, b: FlowValue): boolean {
  let x: number | string | undefined;
  let y: number | string | undefined;
  if (typeof a === 'string' && typeof b === 'string' && (!NUMERIC.test(a) || !NUMERIC.test(b))) {
    x = a;
    y = b;
  } else {
    x = asNumber(a);
    y = asNumber(b);
  }
  if (x === undefined || y === undefined) return false;
  switch (op) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

export function evaluate(expr: Expr, vars: FlowVariables): FlowValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'variable':
      return lookup(vars, expr.path);
    case 'not':
      return !truthy(evaluate(expr.operand, vars));
    case 'negate': {
      const n = asNumber(evaluate(expr.operand, vars));
      return n === undefined ? undefined : -n;
    }
    case 'and':
      return truthy(evaluate(expr.left, vars)) && truthy(evaluate(expr.right, vars));
    case 'or':
      return truthy(evaluate(expr.left, vars)) || truthy(evaluate(expr.right, vars));
    case 'compare': {
      const a = evaluate(expr.left, vars);
      const b = evaluate(expr.right, vars);
      if (expr.op === '==') return equal(a, b);
      if (expr.op === '!=') return !equal(a, b);
      return order(expr.op, a, b);
    }
  }
}

export interface ConditionResult {
  value: boolean;
  /** Set when the condition could not be parsed; `value` is then false. */
  error?: string;
}

/** Evaluates an IF condition; never throws: a bad condition is false, with the reason. */
export function evaluateCondition(src: string, vars: FlowVariables): ConditionResult {
  try {
    return { value: truthy(evaluate(parseExpression(src), vars)) };
  } catch (err) {
    return { value: false, error: err instanceof ExpressionError ? err.message : String(err) };
  }
}
