export {
  DEFAULT_TEST_TOKEN,
  type PaymentOutcome,
  type PaymentProvider,
  testPaymentProvider,
} from './provider.js'
export { paymentsRoutes, type WebhookOutcome } from './routes.js'
export { SIGNATURE_HEADER, signatureHeader, verifySignature } from './signature.js'
