import type { WatchSettings } from "../config/types";

/** The defaults when `secretshare:watch` is not set: on, nobody subscribed. */
export function watchSettings(settings: WatchSettings | undefined): WatchSettings {
    return settings ?? { enabled: true, subscribers: [], consumerSide: false };
}
