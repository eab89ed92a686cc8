/** Who is acting, for the audit log: the token's name and id (never the token). */
export type ActorOf = (request: Request) => Promise<string>
