#pragma once

// The server under test, as a process: started by the load tool on a free loopback port
// with a temporary data directory (or an existing one, named by its pid), and measured
// from /proc: CPU time and resident memory.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace constellate::bench {

/// What /proc says about a process at one moment.
struct ProcessSample {
    double cpuSeconds = 0;       ///< user + system, all threads
    std::uint64_t rssKiB = 0;    ///< VmRSS
    std::uint64_t peakRssKiB = 0; ///< VmHWM: the peak since the process started
    int threads = 0;
};
/// Nullopt when the process is gone.
std::optional<ProcessSample> sampleProcess(pid_t pid);

/// A server process this tool started (and stops: SIGTERM, then SIGKILL after 5 s). It
/// dies with the tool (PR_SET_PDEATHSIG), so no run leaves one behind.
class ServerProcess {
public:
    ServerProcess() = default;
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess();

    /// Runs `program args...`, its stderr to `logFile`, and waits (at most 20 s) for the
    /// line "... listening on port N" on its stdout.
    bool start(const std::string& program, const std::vector<std::string>& args, const std::string& logFile,
               std::string* error);
    /// Graceful stop; returns the exit status (-1: killed or not running).
    int stop();
    pid_t pid() const { return m_pid; }
    std::uint16_t port() const { return m_port; }

private:
    pid_t m_pid = -1;
    int m_stdout = -1;
    std::uint16_t m_port = 0;
};

/// A temporary directory, removed with everything in it when this goes away.
class TemporaryDirectory {
public:
    explicit TemporaryDirectory(const std::string& prefix);
    ~TemporaryDirectory();
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    const std::string& path() const { return m_path; }
    bool isValid() const { return !m_path.empty(); }

private:
    std::string m_path;
};

} // namespace constellate::bench
