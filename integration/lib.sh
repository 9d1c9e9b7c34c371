# Shared by demo.sh and test.sh: root checks, missing Debian packages, dotnet.

# Installs the given Debian packages that are not installed yet (apt-get update only if something is missing).
install_missing_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if ((${#missing[@]})); then
        if [[ $EUID -ne 0 ]]; then
            echo "$0: missing packages ${missing[*]}; run as root or install them" >&2
            exit 1
        fi
        echo "$0: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

require_dotnet() {
    if ! command -v dotnet >/dev/null; then
        echo "$0: the .NET 10 SDK (dotnet) is required; install it first (packages.microsoft.com or dotnet-install)" >&2
        exit 1
    fi
    if ! dotnet --list-sdks | grep -q '^10\.'; then
        echo "$0: the .NET 10 SDK is required; found: $(dotnet --list-sdks | tr '\n' ' ')" >&2
        exit 1
    fi
}

require_fuse_device() {
    if [[ ! -e /dev/fuse ]]; then
        modprobe fuse 2>/dev/null || true
    fi
    if [[ ! -e /dev/fuse ]]; then
        echo "$0: /dev/fuse is missing (load the fuse module, or start the container with --device /dev/fuse)" >&2
        return 1
    fi
}
