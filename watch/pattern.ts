/**
 * The shape of an EventBridge event pattern, as far as this program's rules use it: nested
 * objects whose leaves are lists of values or comparison operators. Types only; the offline
 * matcher the tests use in place of EventBridge is test/support/eventPattern.ts.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */

export type Scalar = string | number | boolean | null;

/** One entry of a leaf list: an exact value or one comparison operator. */
export type Matcher =
    | Scalar
    | { prefix: string }
    | { suffix: string }
    | { wildcard: string }
    | { "equals-ignore-case": string }
    | { exists: boolean }
    | { numeric: (string | number)[] }
    | { "anything-but": Scalar | Scalar[] | { prefix: string } | { suffix: string } | { wildcard: string } };

/**
 * An event pattern: nested objects whose leaves are lists of matchers. A `$or` field holds two or
 * more patterns, of which one must match besides the other fields of its object.
 */
export interface EventPattern {
    [field: string]: Matcher[] | EventPattern | EventPattern[];
}
