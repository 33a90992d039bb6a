#include "peopleoverlay.h"

#include "remotepresence.h"
#include "syncclient.h"

#include <glm/gtc/quaternion.hpp>

namespace constellate::ui {

PeopleOverlay peopleOverlay(const net::SyncClient& client, float cursorScale, std::int64_t nowMs)
{
    PeopleOverlay out;
    for (const auto& [index, peer] : client.peers()) {
        if (!peer.selection.empty())
            out.selections.push_back({peer.color, peer.selection});
        render::Avatar a;
        a.color = peer.color;
        bool shown = false;
        if (const auto pose = client.remotePresence().vrPose(index, nowMs)) {
            const net::protocol::Placement placement = peer.placement.value_or(net::protocol::Placement {});
            auto place = [&](const net::protocol::Pose& p) {
                const net::protocol::Pose g = net::RemotePresence::toGraph(placement, p);
                return render::Avatar::Pose {glm::vec3(g.position.x, g.position.y, g.position.z),
                                             glm::quat(g.orientation.w, g.orientation.x, g.orientation.y,
                                                       g.orientation.z)};
            };
            a.head = place(pose->head);
            if (pose->left)
                a.leftHand = place(*pose->left);
            if (pose->right)
                a.rightHand = place(*pose->right);
            a.scale = placement.scale;
            shown = true;
        } else if (const auto cursor = client.remotePresence().cursor(index, nowMs)) {
            a.cursor = glm::vec3(cursor->x, cursor->y, cursor->z);
            a.scale = cursorScale;
            shown = true;
        }
        const auto anchor = a.nameplateAnchor();
        if (!shown || !anchor)
            continue;
        render::TextItem plate;
        plate.anchor = *anchor;
        plate.text = peer.name.toStdString();
        if (peer.state == net::protocol::PresenceState::Away)
            plate.text += " (away)";
        plate.color = peer.color;
        out.nameplates.push_back(std::move(plate));
        out.avatars.push_back(std::move(a));
    }
    return out;
}

} // namespace constellate::ui
