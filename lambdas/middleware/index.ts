/**
 * Middlewares for backend Lambdas behind a Gatewarden-protected API. Import from here:
 * `import { bodyInspection } from '<gatewarden>/lambdas/middleware'`.
 */
export * from './body-inspection';
