/** Errors of `npm run lab`, under the project's one base class. */
import { FailoverError } from '../shared/errors.js';

/** The lab could not be built, driven or measured (not a wrong outcome: that is a result). */
export class LabError extends FailoverError {}
