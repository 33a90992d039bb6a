#include "serverprocess.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace constellate::bench {

std::optional<ProcessSample> sampleProcess(pid_t pid)
{
    ProcessSample s;
    {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line))
            return std::nullopt;
        // The command name may hold spaces and parentheses: fields follow the last ')'.
        const std::size_t close = line.rfind(')');
        if (close == std::string::npos)
            return std::nullopt;
        std::istringstream fields(line.substr(close + 2));
        std::vector<std::string> f;
        for (std::string x; fields >> x;)
            f.push_back(x);
        // f[0] is field 3 (state): utime is field 14, stime 15, num_threads 20.
        if (f.size() < 18)
            return std::nullopt;
        const double tick = double(sysconf(_SC_CLK_TCK));
        s.cpuSeconds = (std::stod(f[11]) + std::stod(f[12])) / tick;
        s.threads = std::stoi(f[17]);
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmRSS:"))
            s.rssKiB = std::stoull(line.substr(6));
        else if (line.starts_with("VmHWM:"))
            s.peakRssKiB = std::stoull(line.substr(6));
    }
    return s;
}

ServerProcess::~ServerProcess()
{
    stop();
}

bool ServerProcess::start(const std::string& program, const std::vector<std::string>& args,
                          const std::string& logFile, std::string* error)
{
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        *error = std::string("pipe: ") + std::strerror(errno);
        return false;
    }
    const int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) {
        *error = "cannot write " + logFile + ": " + std::strerror(errno);
        ::close(out[0]);
        ::close(out[1]);
        return false;
    }
    std::vector<std::string> argvStrings {program};
    argvStrings.insert(argvStrings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argvStrings)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        *error = std::string("fork: ") + std::strerror(errno);
        ::close(out[0]);
        ::close(out[1]);
        ::close(log);
        return false;
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(127);
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
        ::execv(program.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(log);
    m_pid = pid;
    m_stdout = out[0];

    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p {m_stdout, POLLIN, 0};
        if (::poll(&p, 1, 200) < 0 && errno != EINTR)
            break;
        if (p.revents & (POLLIN | POLLHUP)) {
            char buffer[512];
            const ssize_t n = ::read(m_stdout, buffer, sizeof buffer);
            if (n <= 0)
                break;
            seen.append(buffer, std::size_t(n));
            const std::size_t at = seen.find("listening on port ");
            if (at != std::string::npos && seen.find('\n', at) != std::string::npos) {
                m_port = std::uint16_t(std::strtoul(seen.c_str() + at + 18, nullptr, 10));
                if (m_port != 0)
                    return true;
            }
        }
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            *error = program + " exited before listening (see " + logFile + ")";
            return false;
        }
    }
    *error = program + " did not say which port it listens on within 20 s (see " + logFile + ")";
    stop();
    return false;
}

int ServerProcess::stop()
{
    int result = -1;
    if (m_pid > 0) {
        ::kill(m_pid, SIGTERM);
        int status = 0;
        bool done = false;
        for (int i = 0; i < 500 && !done; ++i) {
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid)
                done = true;
            else
                ::usleep(10'000);
        }
        if (!done) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
        } else if (WIFEXITED(status)) {
            result = WEXITSTATUS(status);
        }
        m_pid = -1;
    }
    if (m_stdout >= 0)
        ::close(m_stdout);
    m_stdout = -1;
    return result;
}

TemporaryDirectory::TemporaryDirectory(const std::string& prefix)
{
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()))
        m_path = pattern;
}

TemporaryDirectory::~TemporaryDirectory()
{
    if (!m_path.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
}

} // namespace constellate::bench
