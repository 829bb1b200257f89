"""Box's own Python SDK (box-sdk-gen, written from Box's docs, not from our code)
against the sandbox, with only its base URLs changed."""
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
print('OK')
