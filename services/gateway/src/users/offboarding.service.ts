import { Injectable } from '@nestjs/common';

/**
 * Starts the leaver workflow for a user the directory deactivated or deleted (SCIM, or
 * `PUT /users/:id {active:false}`). Starting it twice for the same leaver is harmless.
 */
@Injectable()
export class OffboardingService {
  // Placeholder until the leaver workflow lands: callers may already depend on the contract.
  async start(_userId: string): Promise<void> {}
}
