import type { SpecConfig } from '@shoal/models'
import type { PublishRequest, Publisher } from '@shoal/interface'

/** Bacalhau's `noop` publisher: results stay unpublished; PublishedResult is {Type:'noop'}. */
export class NoopPublisher implements Publisher {
  readonly type = 'noop'

  async publish(request: PublishRequest): Promise<SpecConfig> {
    request.signal?.throwIfAborted()
    return { Type: 'noop', Params: {} }
  }
}
