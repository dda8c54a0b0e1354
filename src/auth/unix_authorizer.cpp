// System accounts through PAM (Linux-PAM's application API, pam_start(3)).

#include <cppftpd/unix_authorizer.hpp>

#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace cppftpd {

namespace {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;
};

std::optional<PasswdEntry> find_passwd(std::string_view user) {
  if (user.empty() || user.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string name(user);
  const long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? static_cast<std::size_t>(hint) : 16384);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    const int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1U << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return PasswdEntry{found->pw_name, found->pw_uid, found->pw_gid,
                       found->pw_dir != nullptr ? found->pw_dir : "",
                       found->pw_shell != nullptr ? found->pw_shell : ""};
  }
}

// The supplementary groups of a user (initgroups(3) would set them for the
// whole process; getgrouplist(3) only reads them).
std::vector<std::uint32_t> groups_of(const PasswdEntry& entry) {
  std::vector<gid_t> groups(32);
  for (int attempt = 0; attempt < 8; ++attempt) {
    int count = static_cast<int>(groups.size());
    if (::getgrouplist(entry.name.c_str(), entry.gid, groups.data(), &count) >= 0) {
      return {groups.begin(), groups.begin() + count};
    }
    groups.resize(static_cast<std::size_t>(count) > groups.size() ? static_cast<std::size_t>(count)
                                                                  : groups.size() * 2);
  }
  return {static_cast<std::uint32_t>(entry.gid)};
}

// /etc/shells, read each time (getusershell(3) is not thread-safe, and the
// file is a few lines).
bool listed_shell(const std::string& shell) {
  std::ifstream in("/etc/shells");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#' && line == shell) return true;
  }
  return false;
}

// The answers to PAM's prompts: the password for the one hidden prompt; the
// informational messages need none; anything else (a visible prompt, which
// no password check asks) ends the conversation.
int converse(int count, const pam_message** messages, pam_response** responses, void* data) {
  if (count <= 0 || count > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  const auto* password = static_cast<const std::string*>(data);
  auto* replies = static_cast<pam_response*>(
      std::calloc(static_cast<std::size_t>(count), sizeof(pam_response)));
  if (replies == nullptr) return PAM_BUF_ERR;
  auto give_up = [&](int code) {
    for (int i = 0; i < count; ++i) {
      if (replies[i].resp != nullptr) {
        ::explicit_bzero(replies[i].resp, std::strlen(replies[i].resp));
        std::free(replies[i].resp);
      }
    }
    std::free(replies);
    return code;
  };
  for (int i = 0; i < count; ++i) {
    switch (messages[i]->msg_style) {
      case PAM_PROMPT_ECHO_OFF:
        replies[i].resp = ::strdup(password->c_str());
        if (replies[i].resp == nullptr) return give_up(PAM_BUF_ERR);
        break;
      case PAM_ERROR_MSG:
      case PAM_TEXT_INFO:
        break;
      default:
        return give_up(PAM_CONV_ERR);
    }
  }
  *responses = replies;
  return PAM_SUCCESS;
}

// Installed as PAM_FAIL_DELAY: the server delays failed logins itself, on a
// timer, without holding a worker thread (and PAM calls run one at a time).
void no_fail_delay(int /*status*/, unsigned /*usec*/, void* /*data*/) {}

}  // namespace

std::optional<Credentials> system_credentials(std::string_view user) {
  const auto entry = find_passwd(user);
  if (!entry || entry->uid == 0) return std::nullopt;
  return Credentials{static_cast<std::uint32_t>(entry->uid), static_cast<std::uint32_t>(entry->gid),
                     groups_of(*entry)};
}

UnixAuthorizer::UnixAuthorizer(UnixAuthorizerOptions options) : options_(std::move(options)) {
  const auto parsed = Permissions::parse(options_.perms);
  if (!parsed) throw std::invalid_argument("unknown permission letter in '" + options_.perms + "'");
  perms_ = *parsed;
  if (options_.pam_service.empty() || options_.pam_service.find('/') != std::string::npos) {
    throw std::invalid_argument("PAM service name '" + options_.pam_service +
                                "': must be a plain name");
  }
}

std::string UnixAuthorizer::refusal(std::string_view user) const {
  const auto entry = find_passwd(user);
  if (!entry) return "unknown user";
  if (entry->uid == 0) return "root";
  if (!options_.allowed_users.empty() &&
      options_.allowed_users.find(user) == options_.allowed_users.end()) {
    return "not in the allowed users";
  }
  if (options_.rejected_users.find(user) != options_.rejected_users.end()) return "rejected";
  if (options_.require_valid_shell && !listed_shell(entry->shell)) {
    return "shell not in /etc/shells";
  }
  if (entry->home.empty() || entry->home[0] != '/') return "no home directory";
  return {};
}

std::optional<Account> UnixAuthorizer::lookup(std::string_view user) const {
  if (!refusal(user).empty()) return std::nullopt;
  const auto entry = find_passwd(user);
  if (!entry) return std::nullopt;
  Account account;
  account.name = entry->name;
  account.home = entry->home;
  account.msg_login = options_.msg_login;
  account.msg_quit = options_.msg_quit;
  account.credentials = system_credentials(entry->name);
  if (!account.credentials) return std::nullopt;
  return account;
}

std::optional<Account> UnixAuthorizer::authenticate(std::string_view user,
                                                    std::string_view password) {
  // A NUL would cut the password short for PAM: never a match.
  if (password.find('\0') != std::string_view::npos) return std::nullopt;
  if (!refusal(user).empty()) return std::nullopt;
  const std::string name(user);
  std::string secret(password);
  const pam_conv conversation{&converse, &secret};

  bool authenticated = false;
  {
    const std::lock_guard lock(pam_mutex_);
    pam_handle_t* handle = nullptr;
    int rc = ::pam_start(options_.pam_service.c_str(), name.c_str(), &conversation, &handle);
    if (rc == PAM_SUCCESS) {
      // vsftpd's choice: modules that look at the terminal see "ftp".
      static_cast<void>(::pam_set_item(handle, PAM_TTY, "ftp"));
      static_cast<void>(
          ::pam_set_item(handle, PAM_FAIL_DELAY, reinterpret_cast<const void*>(&no_fail_delay)));
      rc = ::pam_authenticate(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
      // Expired, locked or time-restricted accounts (pam_unix, pam_time).
      if (rc == PAM_SUCCESS) rc = ::pam_acct_mgmt(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
      authenticated = rc == PAM_SUCCESS;
      // A module may map the name (PAM_USER); the account is the one PAM
      // authenticated.
      const void* item = nullptr;
      if (authenticated && ::pam_get_item(handle, PAM_USER, &item) == PAM_SUCCESS &&
          item != nullptr) {
        const std::string mapped(static_cast<const char*>(item));
        if (mapped != name) authenticated = false;  // no renaming: refuse rather than guess
      }
      ::pam_end(handle, rc);
    }
  }
  ::explicit_bzero(secret.data(), secret.size());
  if (!authenticated) return std::nullopt;
  return lookup(name);
}

bool UnixAuthorizer::has_perm(const Account& /*account*/, char letter,
                              const VirtualPath& /*path*/) const {
  return perms_.has(letter);
}

Permissions UnixAuthorizer::perms(const Account& /*account*/, const VirtualPath& /*path*/) const {
  return perms_;
}

}  // namespace cppftpd
