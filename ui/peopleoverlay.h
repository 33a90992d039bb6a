#pragma once

#include "avatar.h"
#include "highlights.h"
#include "labellayout.h"

#include <cstdint>
#include <vector>

namespace constellate::net {
class SyncClient;
}

namespace constellate::ui {

/// What the desktop view and the headset draw of the other people in the room: their
/// selections (outlined in their colours), their cursors or VR heads and hands (smoothed to
/// `nowMs`), and a nameplate over each.
struct PeopleOverlay {
    std::vector<render::Highlights::Remote> selections;
    std::vector<render::Avatar> avatars;
    std::vector<render::TextItem> nameplates;
};

/// Everyone but this user, as of `nowMs` (net::RemotePresence::nowMs()). `cursorScale`: world
/// units per avatar unit of a desktop cursor (half a typical node).
PeopleOverlay peopleOverlay(const net::SyncClient& client, float cursorScale, std::int64_t nowMs);

} // namespace constellate::ui
