import { writeText } from '@tauri-apps/plugin-clipboard-manager';

/** Copies text through the clipboard plugin (works in every webview),
 *  falling back to the web API outside Tauri. */
export async function copyText(text: string): Promise<void> {
  try {
    await writeText(text);
  } catch (pluginError) {
    if (!navigator.clipboard) throw pluginError;
    await navigator.clipboard.writeText(text);
  }
}
