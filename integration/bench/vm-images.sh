# Sourced by bench.sh: builds the two demo VM disk images the way integration/demo.sh does (ext4 images made by
# mke2fs -d from system files; the second has the same template plus added, changed and removed files).

# make_vm_images DIR TEMPLATE_MIB ADDED_MIB IMAGE_SIZE: writes DIR/vm1.img and DIR/vm2.img.
make_vm_images() {
    local work=$1 template_mib=$2 added_mib=$3 image_size=$4
    mkdir -p "$work/vm1" "$work/vm2"
    find /usr/share/doc /usr/share/man /usr/lib/x86_64-linux-gnu /usr/share /usr/lib /usr/bin \
        -xdev -type f -size -16M -readable -printf '%s\t%p\n' 2>/dev/null | awk -F'\t' '!seen[$2]++' >"$work/all.tsv"
    awk -F'\t' -v t=$((template_mib << 20)) -v a=$((added_mib << 20)) -v w="$work" '
        s < t      { print $2 > (w "/template.list"); s += $1; next }
        s < t + a  { print $2 > (w "/added.list"); s += $1 }' "$work/all.tsv"
    tr '\n' '\0' <"$work/template.list" | xargs -0 cp --parents -t "$work/vm1" 2>/dev/null || true
    mkdir -p "$work/vm1/etc" && echo vm-template >"$work/vm1/etc/hostname"
    cp -a "$work/vm1/." "$work/vm2/"
    tr '\n' '\0' <"$work/added.list" | xargs -0 cp --parents -t "$work/vm2" 2>/dev/null || true
    awk 'NR % 10 == 0' "$work/template.list" | while read -r f; do
        if [[ -f $work/vm2$f ]]; then printf '\n# changed on vm2: %s\n' "$f" >>"$work/vm2$f"; fi
    done
    awk 'NR % 10 == 5' "$work/template.list" | while read -r f; do rm -f "$work/vm2$f"; done
    echo vm-two >"$work/vm2/etc/hostname"
    mke2fs -q -F -t ext4 -b 4096 -d "$work/vm1" "$work/vm1.img" "$image_size"
    mke2fs -q -F -t ext4 -b 4096 -d "$work/vm2" "$work/vm2.img" "$image_size"
    rm -rf "$work/vm1" "$work/vm2" "$work/all.tsv" "$work/template.list" "$work/added.list"
}
