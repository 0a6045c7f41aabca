import type { paths } from './api-types'

/**
 * The API as its OpenAPI document describes it (test/support/api-types.d.ts, generated from the
 * live document by test/tooling/typed-client.test.ts), for typing what tests send and read:
 * a test that reads a field the document does not promise fails the type check.
 */

/** A documented path, as the document writes it: `/api/communities/{id}`. */
export type ApiPath = keyof paths

/** The methods documented for a path, as the document writes them: `get`, `post`, ... */
export type ApiMethod<P extends ApiPath> = keyof paths[P] &
  ('get' | 'post' | 'put' | 'patch' | 'delete')

type Operation<P extends ApiPath, M extends ApiMethod<P>> = paths[P][M]

/** `/api/communities/{id}` as a request writes it: any id, and a query string if wanted. */
type Filled<P extends string> = P extends `${infer Head}{${string}}${infer Tail}`
  ? `${Head}${string}${Filled<Tail>}`
  : P
export type ConcretePath<P extends ApiPath> = Filled<P> | `${Filled<P>}?${string}`

type JsonOf<Response> = Response extends { content: never }
  ? undefined // 204: no body
  : Response extends { content: { 'application/json': infer Body } }
    ? Body
    : undefined

/** The JSON body of the documented successful answers (2xx) of an operation. */
export type SuccessJson<P extends ApiPath, M extends ApiMethod<P>> =
  Operation<P, M> extends { responses: infer Responses }
    ? {
        [Status in keyof Responses]: Status extends 200 | 201 | 202 | 204
          ? JsonOf<Responses[Status]>
          : never
      }[keyof Responses]
    : never

/** The JSON request body an operation documents (never when it takes none). */
export type RequestJson<P extends ApiPath, M extends ApiMethod<P>> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer Body } } }
    ? 'requestBody' extends keyof Operation<P, M>
      ? Body
      : never
    : never
