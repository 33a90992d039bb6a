// Fuzzes decodeLanAnnouncement: every datagram a LanBrowser hears on UDP port 7878 goes
// through it, from anyone on the network. Properties beyond "no crash, no UB, no leak": a
// refusal says why; what decodes keeps every field in range, and encodes to bytes that
// decode to the same announcement (what follows the last field aside: later versions may
// append fields there).

#include "fuzzsupport.h"
#include "lanannouncement.h"

#include <string>
#include <string_view>

using namespace constellate;
using namespace constellate::net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string error;
    const std::optional<LanAnnouncement> a = decodeLanAnnouncement(input, &error);
    if (!a) {
        FUZZ_CHECK(!error.empty());
        return 0;
    }
    FUZZ_CHECK(size <= LanAnnouncement::MaxDatagramBytes);
    FUZZ_CHECK(a->hostId != 0 && a->roomId != 0 && a->port != 0 && a->people <= 65535);
    FUZZ_CHECK(a->intervalMs >= LanAnnouncement::MinIntervalMs && a->intervalMs <= LanAnnouncement::MaxIntervalMs);
    FUZZ_CHECK(!a->hostName.empty() && a->hostName.size() <= LanAnnouncement::MaxHostNameBytes);
    FUZZ_CHECK(protocol::isValidName(a->hostName) && protocol::isValidRoomName(a->room));
    const std::string again = encodeLanAnnouncement(*a);
    FUZZ_CHECK(again.size() <= size); // canonical: never longer than what it came from
    const std::optional<LanAnnouncement> back = decodeLanAnnouncement(again, &error);
    FUZZ_CHECK(back && *back == *a);
    return 0;
}
