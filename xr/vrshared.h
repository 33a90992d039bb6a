#pragma once

#include "vrtypes.h"

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace constellate::xr {

class FrameLoop;

/// What VrSession (the caller's thread) and its FrameLoop (the XR thread) share: one mutex
/// over a small inbox of work for the XR thread and the news it has for the caller. Each
/// side takes what is there and works without the lock; the XR thread never waits for the
/// caller, and the caller waits for the XR thread only when it is destroyed.
struct VrShared {
    std::mutex mutex;

    // caller -> XR thread (run at the start of the next frame, or while idle)
    std::vector<std::function<void(FrameLoop&)>> inbox;
    bool exitRequested = false; ///< end the session (xrRequestExitSession)
    bool abandon = false;       ///< the caller is going away: end soon, however it goes

    // XR thread -> caller
    VrState state = VrState::Starting;
    std::vector<VrState> states; ///< every change since the caller last looked, in order
    std::vector<VrEvent> events;
    std::optional<TrackedPoses> poses;
    bool posesChanged = false;
    std::deque<FrameTiming> timings; ///< the latest MaxTimings frames
    std::vector<std::string> messages;
    std::string runtimeName;
    std::string systemName;
    bool finished = false;
    std::string endReason; ///< empty: ended as asked (or by the runtime's exit)

    static constexpr std::size_t MaxTimings = 8192;

    /// Posts one wake-up to the caller's thread per batch of news (it resets wakePending).
    std::function<void()> wake;
    bool wakePending = false;
    /// Call with the mutex held, after adding news.
    void notify()
    {
        if (!wakePending && wake) {
            wakePending = true;
            wake();
        }
    }
};

} // namespace constellate::xr
