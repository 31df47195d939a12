/** The platform's own /v1 routes, each group registered through an ApiRouter. */
export { callRoutes, callSchema } from './calls';
export { registrationRoutes } from './registrations';
export { userRoutes, userSchema } from './users';
export { tokenRoutes } from './tokens';
export { statsRoutes, statsHistorySchema } from './stats';
