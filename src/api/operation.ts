import {
  createRoute,
  type OpenAPIHono,
  type RouteConfig,
  type RouteHandler,
} from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import {
  type Action,
  assertCan,
  type Audience,
  ownScope,
  POLICY,
  type Scope,
} from '../services/access'
import { refuseBody } from '../middleware/json-body'
import { problemResponses } from './openapi'
import { RESOLVERS, type ResolvedResources, type ResourceKind } from './resources'

/**
 * Who may call an operation, declared where the operation is:
 * - `public`: anyone, without a token (outside `/api`: the join, the platforms' webhooks);
 * - `signed_in`: any valid token, answered with only what that token may see;
 * - `{ action, on }`: the policy's `action` (src/services/access.ts), checked by the router on
 *   - a resource kind (`community`, `invite`, ...): the one the path's `{id}` names, read once and
 *     handed to the handler as `c.var.<kind>`;
 *   - `installation`: the whole installation (in practice owners only);
 *   - `caller`: the caller's own community (the installation for owners), for lists of what a
 *     token administers;
 *   - `body`: the group (`groupId`) or community (`communityId`) the body names, the
 *     installation when it names neither.
 */
export type Access =
  'public' | 'signed_in' | { action: Action; on: ResourceKind | 'installation' | 'caller' | 'body' }

type On<A extends Access> = A extends { on: infer O extends string } ? O : A

/** The declaration as the OpenAPI document carries it, as `x-access`, for clients to read. */
export interface AccessDocument<O extends string = string> {
  /** The policy's action; null for `public` and `signed_in`. */
  action: Action | null
  /** Who may: an audience of the policy, `anyone` (no token needed) or `any_token`. */
  audience: Audience | 'anyone' | 'any_token'
  /** What the action is checked on (see `Access`). */
  on: O
}

function documentOf<A extends Access>(access: A): AccessDocument<On<A>> {
  if (access === 'public') return { action: null, audience: 'anyone', on: 'public' as On<A> }
  if (access === 'signed_in') {
    return { action: null, audience: 'any_token', on: 'signed_in' as On<A> }
  }
  const { action, on } = access as Exclude<Access, string>
  return { action, audience: POLICY[action], on: on as On<A> }
}

/**
 * A public operation documented by hand (`registerPath`, for a plain route a `createRoute` cannot
 * serve) declares itself with these: `'x-access': PUBLIC_ACCESS`, and the sentence at the end of
 * its description.
 */
export const PUBLIC_ACCESS = documentOf('public')
export const PUBLIC_ACCESS_SENTENCE = 'Access: anyone, without a token.'

const WHO: Record<Audience, string> = {
  owners: 'owner tokens only',
  community_readers: 'owners, and the community’s admins and group admins',
  community_admins: 'owners and the community’s admins',
  group_admins: 'owners, the community’s admins and the admin of that very group',
}

const HIDDEN =
  'What belongs to a community this token may not see answers 404, exactly like an id that ' +
  'does not exist'
const REFUSED = '403 means the token sees it, but its role may not do this.'

/** Kinds of target that may be the installation's, where only owners act. */
const BOUND: readonly string[] = ['installation', 'caller', 'body', 'webhook', 'token']

/** Whether a token can be refused with 403: it sees the target, but its role may not act. */
function refusable({ action, audience, on }: AccessDocument): boolean {
  return action !== null && (audience !== 'community_readers' || BOUND.includes(on))
}

function accessSentence(access: AccessDocument): string {
  const { action, audience, on } = access
  if (audience === 'anyone') return PUBLIC_ACCESS_SENTENCE
  if (audience === 'any_token') {
    return 'Access: any valid token; the answer holds only what that token may see.'
  }
  const who = WHO[audience]
  if (on === 'installation') return `Access (\`${action}\`): ${who}.`
  if (on === 'caller') {
    return `Access (\`${action}\`), on the token’s own community (the whole installation for owners): ${who}.`
  }
  const hidden = refusable(access) ? `${HIDDEN}; ${REFUSED}` : `${HIDDEN}.`
  if (on === 'body') {
    return `Access (\`${action}\`), on the group or community the body names (the whole installation when it names none, which only owners may act on): ${who}. ${hidden}`
  }
  return `Access (\`${action}\`), on the ${RESOLVERS[on as ResourceKind].label.toLowerCase()} of the path’s \`id\`: ${who}. ${hidden}`
}

const TOKEN_LIMIT =
  'a token that is not a stored one (so could be a guess at `ADMIN_TOKEN`) was tried from this network more than 20 times in ten minutes without proving right (100 for the wider network: an IPv4 /24, an IPv6 /48; the dashboard’s sign-in form counts too); until the window ends, such tokens are refused from it, `ADMIN_TOKEN` too. Stored tokens are never refused for this'

/**
 * The access answers an operation can give, from its declaration: 401 for every one that needs a
 * token (and 429 for a network that sent too many wrong ones), 403 only where a token can see
 * what its role may not do, 404 where an id or a body names what may be hidden. A declaration
 * thus keeps its document true by itself.
 */
function withAccessAnswers(responses: RouteConfig['responses'], access: AccessDocument) {
  if (access.audience === 'anyone') return responses
  const answers = { ...responses }
  answers[401] ??= problemResponses(['unauthorized'])[401]!
  // A network that sent too many wrong tokens waits (src/services/sign-in-limits.ts).
  answers[429] ??= problemResponses(['rate_limited'], {
    notes: { rate_limited: TOKEN_LIMIT },
  })[429]!
  if (refusable(access)) answers[403] ??= problemResponses(['forbidden'])[403]!
  else delete answers[403]
  if (access.on in RESOLVERS || access.on === 'body') {
    answers[404] ??= problemResponses(['not_found'])[404]!
  }
  return answers
}

/**
 * An API operation: a `createRoute` definition that must say who may call it (`access`). Only
 * such operations can be registered (`declaredOperations`), so an operation without a declared
 * action does not compile; the declaration goes into the document as `x-access` and a sentence of
 * the description.
 */
export function defineOperation<
  P extends string,
  R extends Omit<RouteConfig, 'path'> & { path: P; access: Access },
>(definition: R): Omit<R, 'access'> & { 'x-access': AccessDocument<On<R['access']>> } {
  const { access, ...route } = definition
  const document = documentOf(access)
  const sentence = accessSentence(document)
  return createRoute({
    ...route,
    description: route.description ? `${route.description} ${sentence}` : sentence,
    responses: withAccessAnswers(route.responses, document),
    'x-access': document,
  } as unknown as Omit<R, 'access'> & { path: P }) as never
}

type DeclaredRoute = RouteConfig & { 'x-access': AccessDocument }

/** The resource a handler is handed: `c.var.invite` on an operation declared on invites. */
type ResourceVariables<O> = O extends ResourceKind ? { [K in O]: ResolvedResources[K] } : object

type DeclaredHandler<R extends DeclaredRoute> = RouteHandler<
  R,
  AppEnv & { Variables: ResourceVariables<R['x-access']['on']> }
>

/** Methods whose requests carry no body at all (the fetch standard has none for them). */
const BODYLESS_METHODS = ['get', 'head']

/**
 * Registers declared operations on a sub-app, with the router's access check before each
 * handler: `const openapi = declaredOperations(groupsApi)`, then `openapi(defineOperation({...}),
 * handler)`. The check runs once the request's parameters and body have passed their schemas.
 * An operation that declares no body refuses one that says anything (`refuseBody`), before its
 * parameters are read.
 */
export function declaredOperations(app: OpenAPIHono<AppEnv>) {
  return function openapi<R extends DeclaredRoute>(route: R, handler: DeclaredHandler<R>) {
    const access = route['x-access']
    if (!access) throw undeclared(route)
    const takesNoBody = !route.request?.body && !BODYLESS_METHODS.includes(route.method)
    const declared = takesNoBody ? { ...route, middleware: refuseBody() } : route
    app.openapi(declared, (async (c: Context<AppEnv>, next: () => Promise<void>) => {
      await enforceAccess(c, access)
      return (handler as unknown as (c: Context<AppEnv>, next: () => Promise<void>) => unknown)(
        c,
        next,
      )
    }) as never)
  }
}

/**
 * The router's check of a declaration: authentication happened before (401); then the action
 * on what the declaration names, read once. A scope known from the id alone (a community's) is
 * decided before any read.
 */
async function enforceAccess(c: Context<AppEnv>, access: AccessDocument): Promise<void> {
  const { action, on } = access
  if (action === null) return
  const principal = c.var.principal
  if (on === 'installation') return assertCan(principal, action)
  if (on === 'caller') return assertCan(principal, action, ownScope(principal))
  if (on === 'body') {
    const { scope, label } = await bodyScope(c)
    return assertCan(principal, action, scope, label)
  }
  const kind = on as ResourceKind
  const resolver = RESOLVERS[kind] as (typeof RESOLVERS)['community' | 'invite']
  const id = c.req.param('id') ?? ''
  const early = resolver.scopeOfId?.(id)
  if (early) assertCan(principal, action, early, resolver.label)
  const resource = await resolver.load(c.var.db, id)
  if (!early) assertCan(principal, action, resolver.scope(resource as never), resolver.label)
  c.set(kind as never, resource as never)
}

interface ScopingBody {
  communityId?: string | null
  groupId?: string | null
}

async function bodyScope(c: Context<AppEnv>): Promise<{ scope?: Scope; label?: string }> {
  const body = (c.req.valid as (target: string) => ScopingBody | undefined).call(c.req, 'json')
  if (body?.groupId) {
    const group = await RESOLVERS.group.load(c.var.db, body.groupId)
    return { scope: RESOLVERS.group.scope(group), label: RESOLVERS.group.label }
  }
  if (body?.communityId) {
    return { scope: { communityId: body.communityId }, label: RESOLVERS.community.label }
  }
  return {}
}

/**
 * Refuses to build an app with an operation that declares no access, so that one cannot be
 * mounted by going around `declaredOperations` (a plain `openapi()` or `registerPath`).
 */
export function assertEveryOperationDeclared(app: OpenAPIHono<AppEnv>): void {
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue
    const route = definition.route as RouteConfig & { 'x-access'?: AccessDocument }
    if (!route['x-access']) throw undeclared(route)
  }
}

function undeclared(route: RouteConfig): Error {
  return new Error(
    `${route.method.toUpperCase()} ${route.path} declares no access: define it with defineOperation`,
  )
}
