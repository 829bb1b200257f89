"""Box's own Python SDK (box-sdk-gen, written from Box's docs, not from our code)
against the sandbox, with only its base URLs changed: sign-in, listings, events, and
the write API (upload, new version, shared links, collaborations, delete) with the
events those writes log."""
import sys, urllib.parse, urllib.request, http.client, re
from box_sdk_gen import (BoxClient, BoxOAuth, OAuthConfig, GetAuthorizeUrlOptions,
                         NetworkSession, BaseUrls)

base = sys.argv[1].rstrip('/')
urls = BaseUrls(base_url=base, upload_url=base + '/api', oauth_2_url=base + '/api/oauth2')
session = NetworkSession(base_urls=urls)
auth = BoxOAuth(OAuthConfig(client_id='sandbox-client', client_secret='sandbox-secret'))
redirect = 'http://127.0.0.1:53682/callback'
authorize = auth.get_authorize_url(options=GetAuthorizeUrlOptions(redirect_uri=redirect, state='xyz'))
authorize = authorize.replace('https://account.box.com', base)  # only the base URL changes

# The admin's browser: the sandbox runs with --auto-approve, so it redirects at once.
u = urllib.parse.urlsplit(authorize)
conn = http.client.HTTPConnection(u.hostname, u.port)
conn.request('GET', u.path + '?' + u.query)
resp = conn.getresponse()
assert resp.status in (302, 303), resp.status
loc = urllib.parse.urlsplit(resp.getheader('location'))
q = urllib.parse.parse_qs(loc.query)
assert q['state'] == ['xyz'], q
auth.get_tokens_authorization_code_grant(q['code'][0], network_session=session)
client = BoxClient(auth).with_custom_base_urls(urls)

me = client.users.get_user_me(fields=['role', 'enterprise', 'login', 'name'])
print('signed in as', me.login, 'role', me.role, 'enterprise', me.enterprise.name)

users, marker = [], None
while True:
    page = client.users.get_users(usemarker=True, limit=7, marker=marker, user_type='managed')
    users += page.entries
    marker = page.next_marker
    if not marker:
        break
print('users listed with markers:', len(users))

old = auth.token_storage.get().refresh_token
auth.refresh_token(network_session=session)
assert auth.token_storage.get().refresh_token != old
print('refresh rotated the refresh token')

files = folders = links = collabs = 0
fields = ['type', 'id', 'etag', 'sha1', 'name', 'size', 'modified_at', 'owned_by', 'shared_link', 'path_collection']
for user in users[:3]:
    acting = client.with_as_user_header(user.id)
    stack = ['0']
    while stack:
        fid = stack.pop()
        marker = None
        while True:
            items = acting.folders.get_folder_items(fid, fields=fields, usemarker=True, limit=1000, marker=marker)
            for e in items.entries:
                if e.type == 'folder':
                    folders += 1; stack.append(e.id)
                    collabs += len(acting.list_collaborations.get_folder_collaborations(e.id).entries or [])
                else:
                    files += 1
                    if e.shared_link is not None:
                        links += 1
                    if files <= 300:  # collaborations of the first 300 files
                        collabs += len(acting.list_collaborations.get_file_collaborations(e.id).entries or [])
            marker = getattr(items, 'next_marker', None)
            if not marker:
                break
print(f'walked 3 users as-user: {folders} folders, {files} files, {links} shared links, {collabs} collaborations (folders, and the first 300 files)')

from box_sdk_gen import GetEventsStreamType
pos, total = None, 0
for _ in range(5):
    ev = client.events.get_events(stream_type=GetEventsStreamType.ADMIN_LOGS, limit=500, stream_position=pos)
    total += len(ev.entries or [])
    pos = ev.next_stream_position
print('admin_logs events paged:', total)
assert files > 0 and folders > 0 and links > 0 and collabs > 0 and total > 0

# ---- The write API, as the SDK does it, and the events it logs ----
import hashlib, io
from box_sdk_gen import (UploadFileAttributes, UploadFileAttributesParentField,
                         UploadFileVersionAttributes, AddShareLinkToFileSharedLink,
                         AddShareLinkToFileSharedLinkAccessField,
                         UpdateSharedLinkOnFileSharedLink,
                         UpdateSharedLinkOnFileSharedLinkAccessField,
                         CreateCollaborationItem, CreateCollaborationItemTypeField,
                         CreateCollaborationAccessibleBy,
                         CreateCollaborationAccessibleByTypeField, CreateCollaborationRole)
from box_sdk_gen.internal.utils import create_null
from box_sdk_gen.box.errors import BoxAPIError

start = client.events.get_events(stream_type=GetEventsStreamType.ADMIN_LOGS, stream_position='now').next_stream_position
start_streaming = client.events.get_events(stream_type=GetEventsStreamType.ADMIN_LOGS_STREAMING, stream_position='now').next_stream_position

v1 = b'first draft, written by box-sdk-gen\n'
up = client.uploads.upload_file(
    UploadFileAttributes(name='sdk-upload.txt', parent=UploadFileAttributesParentField(id='0')),
    io.BytesIO(v1))
f = up.entries[0]
assert f.name == 'sdk-upload.txt' and f.sha_1 == hashlib.sha1(v1).hexdigest(), f
print("uploaded", f.id, "sha1", f.sha_1)
try:
    client.uploads.upload_file(
        UploadFileAttributes(name='SDK-upload.TXT', parent=UploadFileAttributesParentField(id='0')),
        io.BytesIO(b'again'))
    raise AssertionError('a second file of the same name was accepted')
except BoxAPIError as e:
    assert e.response_info.status_code == 409 and e.response_info.code == 'item_name_in_use', e
    print('same name again: 409 item_name_in_use')

v2 = b'second draft\n'
nv = client.uploads.upload_file_version(f.id, UploadFileVersionAttributes(name='sdk-upload.txt'), io.BytesIO(v2), if_match=f.etag)
g = nv.entries[0]
assert g.sha_1 == hashlib.sha1(v2).hexdigest() and g.etag != f.etag, g
stream = client.downloads.download_file(f.id)
assert stream.read() == v2
print('new version: etag', f.etag, '->', g.etag, '; downloaded bytes match')

shared = client.shared_links_files.add_share_link_to_file(
    f.id, 'shared_link', shared_link=AddShareLinkToFileSharedLink(
        access=AddShareLinkToFileSharedLinkAccessField.OPEN, password='Sdk-Secret-1'))
assert shared.shared_link.access.value == 'open' and shared.shared_link.is_password_enabled
changed = client.shared_links_files.update_shared_link_on_file(
    f.id, 'shared_link', shared_link=UpdateSharedLinkOnFileSharedLink(
        access=UpdateSharedLinkOnFileSharedLinkAccessField.COMPANY))
assert changed.shared_link.access.value == 'company' and not changed.shared_link.is_password_enabled
removed = client.shared_links_files.remove_shared_link_from_file(f.id, 'shared_link', shared_link=create_null())
assert removed.shared_link is None
print('shared link: created (open, password), changed (company), removed')

def field(e, name):  # the SDK types folder entries as FolderMini, whose `owned_by` stays a dict
    return e[name] if isinstance(e, dict) else getattr(e, name)
root_folder_id = next(field(e, 'id') for e in client.folders.get_folder_items('0', fields=['owned_by']).entries
                      if field(e, 'type') == 'folder' and field(field(e, 'owned_by'), 'id') == me.id)
collab = client.user_collaborations.create_collaboration(
    CreateCollaborationItem(type=CreateCollaborationItemTypeField.FOLDER, id=root_folder_id),
    CreateCollaborationAccessibleBy(type=CreateCollaborationAccessibleByTypeField.USER, login='auditor@outside-firm.example'),
    CreateCollaborationRole.VIEWER)
assert collab.status.value == 'pending' and collab.accessible_by.login == 'auditor@outside-firm.example', collab
assert any(c.id == collab.id for c in client.list_collaborations.get_folder_collaborations(root_folder_id).entries)
client.user_collaborations.delete_collaboration_by_id(collab.id)
assert all(c.id != collab.id for c in client.list_collaborations.get_folder_collaborations(root_folder_id).entries or [])
print('collaboration: external login invited (pending), then removed')

client.files.delete_file_by_id(f.id)
try:
    client.files.get_file_by_id(f.id)
    raise AssertionError('a deleted file is still served')
except BoxAPIError as e:
    assert e.response_info.status_code == 404, e
print('deleted; GET answers 404')

want = ['UPLOAD', 'EDIT', 'DOWNLOAD', 'SHARE', 'ITEM_SHARED_UPDATE', 'UNSHARE',
        'COLLABORATION_INVITE', 'COLLABORATION_REMOVE', 'DELETE']
for stream_type, pos in [(GetEventsStreamType.ADMIN_LOGS, start), (GetEventsStreamType.ADMIN_LOGS_STREAMING, start_streaming)]:
    seen, ids = [], set()
    while True:
        page = client.events.get_events(stream_type=stream_type, limit=500, stream_position=pos)
        for e in page.entries or []:
            if e.event_id not in ids:  # streaming may repeat an entry
                ids.add(e.event_id)
                seen.append(e)
        if not page.entries:
            break
        pos = page.next_stream_position
    got = [e.event_type.value if hasattr(e.event_type, 'value') else e.event_type for e in seen]
    assert got == want, (stream_type, got)
    assert all(e.created_by.id == me.id for e in seen), [e.created_by for e in seen]
print('events in admin_logs and admin_logs_streaming:', ' '.join(want))
print('OK')
