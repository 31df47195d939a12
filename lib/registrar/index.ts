/** REGISTER with digest authentication; bindings in the location service (lib/store). */
export { createRegistrar, type RegistrarDeps } from './registrar';
export { registrationChanged } from './registration-events';
