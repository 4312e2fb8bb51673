import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { isProviderReturn, startSso } from './sso';
import './styles.css';

if (window.parent !== window && isProviderReturn(window.location.search)) {
  // The hidden frame of a silent token renewal: pass the provider's answer up, render nothing.
  void startSso();
} else {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
